using Claims.Functions.Hosting;
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
        var function = new FunctionDescriptor("ProbeTimer", new TimerTrigger("ProbeSchedule", "0 0 0 1 1 *"), typeof(ProbeTimer));
        using var scheduler = new TimerScheduler(function, configuration, services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System, NullLogger<TimerScheduler>.Instance);

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
        var function = new FunctionDescriptor("ProbeTimer", new TimerTrigger("ProbeSchedule", "0 0 6 * * *"), typeof(ProbeTimer));

        var error = Assert.Throws<InvalidOperationException>(() => TimerScheduler.ResolveSchedule(function, configuration));

        Assert.Contains("ProbeSchedule", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveSchedule_NoSetting_UsesTheCatalogDefault()
    {
        var configuration = new ConfigurationBuilder().Build();
        var function = new FunctionDescriptor("ProbeTimer", new TimerTrigger("ProbeSchedule", "0 0 6 * * *"), typeof(ProbeTimer));

        Assert.Equal("0 0 6 * * *", TimerScheduler.ResolveSchedule(function, configuration).Expression);
    }

    public sealed class TimerProbe
    {
        public List<DateTimeOffset> Runs { get; } = [];
    }

    public sealed class ProbeTimer(TimerProbe probe) : ITimerFunction
    {
        public Task RunAsync(DateTimeOffset scheduledAt, CancellationToken cancellationToken)
        {
            lock (probe.Runs)
            {
                probe.Runs.Add(scheduledAt);
            }

            return Task.CompletedTask;
        }
    }
}
