using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Claims.Functions.Tests.Unit;

/// <summary>
/// STYLE.md: every <c>[LoggerMessage]</c> of a project is declared in its one <c>Logs</c> class, so event ids are
/// chosen in one place; and an id names one message across the app (a log query by event id finds one thing).
/// </summary>
public sealed class LogEventIdTests
{
    private static readonly Assembly[] Projects =
    [
        typeof(Claims.Application.Processing.ClaimTransitions).Assembly,
        typeof(Claims.Functions.Http.HttpDoor).Assembly,
        typeof(Claims.LocalHost.QueueListener).Assembly,
    ];

    private static IEnumerable<(Assembly Assembly, MethodInfo Method, LoggerMessageAttribute Message)> Messages() =>
        from assembly in Projects
        from type in assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
        let message = method.GetCustomAttribute<LoggerMessageAttribute>()
        where message is not null
        select (assembly, method, message);

    [Fact]
    public void EveryLogMessage_IsDeclaredInItsProjectsLogsClass()
    {
        var messages = Messages().ToList();
        Assert.True(messages.Count > 50, $"only {messages.Count} log messages found; the reflection missed them");
        var elsewhere = messages
            .Where(m => m.Method.DeclaringType?.FullName != m.Assembly.GetName().Name + ".Logs")
            .Select(m => $"{m.Method.DeclaringType?.FullName}.{m.Method.Name} ({m.Message.EventId})")
            .ToList();
        Assert.True(elsewhere.Count == 0, "log messages outside Logs.cs: " + string.Join(", ", elsewhere));
    }

    [Fact]
    public void EventIds_AreUniqueAcrossTheProjects_AndNotZero()
    {
        var messages = Messages().ToList();
        Assert.DoesNotContain(messages, m => m.Message.EventId <= 0);
        var shared = messages
            .GroupBy(m => m.Message.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Assembly.GetName().Name + "." + m.Method.Name))}")
            .ToList();
        Assert.True(shared.Count == 0, "event ids used twice: " + string.Join("; ", shared));
    }
}
