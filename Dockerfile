# syntax=docker/dockerfile:1
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props Gateway.sln ./
COPY src/Gateway/Gateway.csproj src/Gateway/
RUN dotnet restore src/Gateway/Gateway.csproj
COPY config/ config/
COPY src/Gateway/ src/Gateway/
# Without the sample legacy app (samples/ is not copied): production images carry the gateway only.
RUN dotnet publish src/Gateway/Gateway.csproj -c Release -o /app --no-restore -p:IncludeSample=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The image's built-in non-root user; ops mount their own config over /app/config.
USER $APP_UID
ENV ASPNETCORE_URLS=http://+:8080 \
    DOTNET_NOLOGO=1
EXPOSE 8080
# Probes: GET /_gateway/health/live (process up) and /_gateway/health/ready (Kratos answers). The runtime image has
# no curl or wget: the gateway's own binary probes (exit 0 when the URL answers 2xx). Change the URL with the port
# or Gateway:PathPrefix.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["dotnet", "Gateway.dll", "--health-probe", "http://127.0.0.1:8080/_gateway/health/live"]
ENTRYPOINT ["dotnet", "Gateway.dll"]
