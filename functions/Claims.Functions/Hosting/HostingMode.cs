using System.Globalization;

namespace Claims.Functions.Hosting;

/// <summary>
/// Which of the two hosting modes the process runs in. The Functions host starts a custom handler with
/// <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set: then the process listens on 127.0.0.1 at that port, the Functions host
/// owns the queue and timer triggers (they arrive as invocation requests), and no local listener or scheduler runs.
/// Without it the process is its own host (Kestrel on 7071, local queue listeners and timers).
/// </summary>
public static class HostingMode
{
    /// <summary>The variable the Functions host sets for a custom handler: the port it sends requests to.</summary>
    public const string CustomHandlerPortSetting = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>The port to listen on as a custom handler, or null when running as the local host.</summary>
    public static int? CustomHandlerPort(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[CustomHandlerPortSetting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new InvalidOperationException($"{CustomHandlerPortSetting} must be a TCP port number.");
    }

    /// <summary>True when the Functions host runs this process as its custom handler.</summary>
    public static bool IsCustomHandler(IConfiguration configuration) => CustomHandlerPort(configuration) is not null;
}
