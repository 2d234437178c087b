using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit;

namespace Claims.Testing;

/// <summary>
/// Runs a real Azurite (in memory, on three free ports of 127.0.0.1) for the lifetime of a test collection.
/// <see cref="StopAsync"/> and <see cref="StartAsync"/> let a test simulate an outage: the restart uses
/// the same ports (and, being in memory, starts empty).
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Azurite's well-known development account key (public).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public const string AccountName = "devstoreaccount1";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly StringBuilder _stderr = new();
    private Process? _process;
    private string? _script;

    public AzuriteFixture()
    {
        var ports = FreePorts.Get(3);
        BlobPort = ports[0];
        QueuePort = ports[1];
        TablePort = ports[2];
    }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    /// <summary>Explicit endpoints for devstoreaccount1 with its well-known key.</summary>
    public string ConnectionString => string.Create(
        CultureInfo.InvariantCulture,
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};");

    /// <summary>True while the Azurite process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>A table name no other test uses (letters and digits).</summary>
    public static string UniqueTableName(string prefix = "t") => Sanitize(prefix, allowHyphen: false, lower: false) + Guid.NewGuid().ToString("N");

    /// <summary>A queue name no other test uses (lowercase, digits, hyphens).</summary>
    public static string UniqueQueueName(string prefix = "q") => Sanitize(prefix, allowHyphen: true, lower: true) + Guid.NewGuid().ToString("N");

    /// <summary>A container name no other test uses.</summary>
    public static string UniqueContainerName(string prefix = "c") => Sanitize(prefix, allowHyphen: true, lower: true) + Guid.NewGuid().ToString("N");

    public Task InitializeAsync() => StartAsync();

    public async Task DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <summary>Starts Azurite on this fixture's ports and waits until all three accept connections.</summary>
    public async Task StartAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (IsRunning)
            {
                return;
            }

            _script ??= FindScript();
            lock (_stderr)
            {
                _stderr.Clear();
            }

            var info = new ProcessStartInfo("node")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
                CreateNoWindow = true,
            };
            foreach (var arg in new[]
                     {
                         _script, "--inMemoryPersistence", "--silent", "--disableTelemetry", "--skipApiVersionCheck",
                         "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
                         "--blobPort", Port(BlobPort), "--queuePort", Port(QueuePort), "--tablePort", Port(TablePort),
                     })
            {
                info.ArgumentList.Add(arg);
            }

            Process process;
            try
            {
                process = Process.Start(info) ?? throw new InvalidOperationException("Could not start node for Azurite.");
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException("Could not start `node` for Azurite: is Node.js installed and on PATH?", ex);
            }

            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            _process = process;

            var deadline = DateTime.UtcNow + StartTimeout;
            while (true)
            {
                if (process.HasExited)
                {
                    _process = null;
                    throw new InvalidOperationException(
                        $"Azurite exited with code {process.ExitCode} before listening. Output:\n{Output()}\n" +
                        "If it is not installed, run `npm ci` in infra/local.");
                }

                if (await AcceptsAsync(BlobPort).ConfigureAwait(false)
                    && await AcceptsAsync(QueuePort).ConfigureAwait(false)
                    && await AcceptsAsync(TablePort).ConfigureAwait(false))
                {
                    return;
                }

                if (DateTime.UtcNow > deadline)
                {
                    Kill(process);
                    _process = null;
                    throw new TimeoutException(
                        $"Azurite did not listen on {BlobPort}/{QueuePort}/{TablePort} within {StartTimeout.TotalSeconds} s. Output:\n{Output()}");
                }

                await Task.Delay(100).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Kills Azurite (the whole process tree) and waits until its ports refuse connections.</summary>
    public async Task StopAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_process is not { } process)
            {
                return;
            }

            _process = null;
            Kill(process);
            await process.WaitForExitAsync().ConfigureAwait(false);
            process.Dispose();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (DateTime.UtcNow < deadline
                   && (await AcceptsAsync(BlobPort).ConfigureAwait(false)
                       || await AcceptsAsync(QueuePort).ConfigureAwait(false)
                       || await AcceptsAsync(TablePort).ConfigureAwait(false)))
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The folder holding Claims.Functions.sln: walks up from the test binaries, then from this source
    /// file's build-time location (binaries built with --artifacts-path live outside the checkout), then
    /// from the working directory; CLAIMS_REPO_ROOT overrides all of them.
    /// </summary>
    public static string FindRepoRoot() => FindRepoRootFrom();

    private static string FindRepoRootFrom([CallerFilePath] string sourceFile = "")
    {
        if (Environment.GetEnvironmentVariable("CLAIMS_REPO_ROOT") is { Length: > 0 } configured
            && File.Exists(Path.Combine(configured, "Claims.Functions.sln")))
        {
            return configured;
        }

        var starts = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile), Environment.CurrentDirectory };
        foreach (var start in starts.Where(s => !string.IsNullOrEmpty(s)))
        {
            for (var dir = new DirectoryInfo(start!); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Claims.Functions.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"No Claims.Functions.sln above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}; set CLAIMS_REPO_ROOT.");
    }

    private static string FindScript()
    {
        var script = Path.Combine(FindRepoRoot(), "infra", "local", "node_modules", "azurite", "dist", "src", "azurite.js");
        return File.Exists(script)
            ? script
            : throw new InvalidOperationException($"Azurite is not installed ({script} is missing): run `npm ci` in infra/local.");
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill: nothing left to stop.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_stderr)
        {
            if (_stderr.Length < 64 * 1024)
            {
                _stderr.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (_stderr)
        {
            return _stderr.ToString();
        }
    }

    private static string Sanitize(string prefix, bool allowHyphen, bool lower)
    {
        var chars = prefix.Where(c => char.IsAsciiLetterOrDigit(c) || (allowHyphen && c == '-')).ToArray();
        var text = new string(chars);
        text = lower ? text.ToLowerInvariant() : text;
        while (text.Contains("--", StringComparison.Ordinal))
        {
            text = text.Replace("--", "-", StringComparison.Ordinal);
        }

        if (text.Length == 0 || !char.IsAsciiLetter(text[0]))
        {
            text = (lower ? "x" : "T") + text;
        }

        return text.Length > 20 ? text[..20] : text;
    }
}
