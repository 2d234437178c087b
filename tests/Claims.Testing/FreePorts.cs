using System.Net;
using System.Net.Sockets;

namespace Claims.Testing;

/// <summary>Finds TCP ports on 127.0.0.1 that nothing listens on right now.</summary>
public static class FreePorts
{
    /// <summary>Returns <paramref name="count"/> distinct free ports (all held open together, so none repeats).</summary>
    public static int[] Get(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    /// <summary>One free port.</summary>
    public static int GetOne() => Get(1)[0];
}
