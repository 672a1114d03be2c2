using System.Net;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Pages;

public sealed partial class SignInPageTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AMistypedAddressIsMarkedInvalidAndDescribedByItsErrorOnlyThen()
    {
        await using var app = await GatewayApp.StartAsync();
        var browser = new TestBrowser(app);

        var fresh = await (await browser.GetAsync("/_gateway/sign-in")).Content.ReadAsStringAsync(Cancel);
        var refused = await browser.RequestLinkAsync("alice@");
        var page = await refused.Content.ReadAsStringAsync(Cancel);

        Assert.DoesNotContain("aria-describedby", EmailInput().Match(fresh).Value);
        Assert.DoesNotContain("aria-invalid", EmailInput().Match(fresh).Value);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var input = EmailInput().Match(page).Value;
        Assert.Contains("aria-invalid=\"true\"", input);
        Assert.Contains("aria-describedby=\"email-error\"", input);
        Assert.Contains("value=\"alice@\"", input);
        Assert.Contains("id=\"email-error\"", page);
    }

    [Fact]
    public async Task TooManyEmailsSaysTheRealWaitAndLeadsBack()
    {
        await using var app = await GatewayApp.StartAsync(s => s["SignIn:EmailRequestsPerWindow"] = "1");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com", "/reports/q1");
        app.Time.Advance(TimeSpan.FromMinutes(2));

        var refused = await browser.RequestLinkAsync("alice@example.com", "/reports/q1");
        var page = await refused.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("780", refused.Headers.GetValues("Retry-After").Single());
        Assert.Contains("Please wait 13 minutes and try again.", page);
        Assert.Contains("<a href=\"/_gateway/sign-in?returnUrl=%2Freports%2Fq1\">Back to sign-in</a>", page);
    }

    [GeneratedRegex("<input id=\"email\"[^>]*>")]
    private static partial Regex EmailInput();
}
