using Claims.LocalHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Claims.Functions.Tests.Hosting;

public sealed class TimerSchedulerTests
{
    [Fact]
    public async Task Scheduler_EverySecondSchedule_RunsTheFunctionAtEachOccurrence()
    {
        var probe = new TimerProbe();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ProbeSchedule"] = "* * * * * *" }).Build();
        var services = new ServiceCollection().AddSingleton(probe).AddScoped<ProbeTimer>().BuildServiceProvider();
        using var scheduler = new TimerScheduler(
            "ProbeTimer",
            "%ProbeSchedule%",
            async invocation =>
            {
                await invocation.Services.GetRequiredService<ProbeTimer>().RunAsync(invocation.Timer!, invocation.Cancellation);
                return null;
            },
            configuration,
            services.GetRequiredService<IServiceScopeFactory>(),
            TimeProvider.System,
            NullLogger<TimerScheduler>.Instance);

        await scheduler.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (probe.Runs.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        await scheduler.StopAsync(CancellationToken.None);

        Assert.True(probe.Runs.Count >= 2, $"ran {probe.Runs.Count} times");
        Assert.All(probe.Runs, at => Assert.Equal(0, at.Millisecond));
        Assert.Equal(probe.Runs.Count, probe.Runs.Distinct().Count());
    }

    [Fact]
    public void ResolveSchedule_BadSetting_FailsNamingTheSetting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ProbeSchedule"] = "every day" }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => TimerScheduler.ResolveSchedule("ProbeTimer", "%ProbeSchedule%", configuration));

        Assert.Contains("ProbeSchedule", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveSchedule_SettingMissing_FailsNamingTheSetting_AsTheFunctionsHostDoes()
    {
        var configuration = new ConfigurationBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => TimerScheduler.ResolveSchedule("ProbeTimer", "%ProbeSchedule%", configuration));

        Assert.Contains("ProbeSchedule", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveSchedule_LiteralSchedule_UsedAsItIs()
    {
        Assert.Equal("0 0 6 * * *", TimerScheduler.ResolveSchedule("ProbeTimer", "0 0 6 * * *", new ConfigurationBuilder().Build()).Expression);
    }

    public sealed class TimerProbe
    {
        public List<DateTimeOffset> Runs { get; } = [];
    }

    public sealed class ProbeTimer(TimerProbe probe)
    {
        public Task RunAsync(Microsoft.Azure.Functions.Worker.TimerInfo timer, CancellationToken cancellationToken)
        {
            lock (probe.Runs)
            {
                probe.Runs.Add(new DateTimeOffset(timer.ScheduleStatus!.Next, TimeSpan.Zero));
            }

            return Task.CompletedTask;
        }
    }
}
