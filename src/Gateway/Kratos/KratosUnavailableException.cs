namespace Gateway.Kratos;

/// <summary>Kratos could not answer (unreachable, too slow, 5xx or an answer that breaks its contract).</summary>
internal sealed class KratosUnavailableException(string message, Exception? inner = null) : Gateway.Sessions.SessionAuthorityUnavailableException(message, inner);
