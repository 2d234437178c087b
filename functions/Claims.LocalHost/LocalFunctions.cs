using System.Reflection;
using System.Text.Json.Nodes;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Claims.LocalHost;

/// <summary>
/// One function of the app as the Functions host knows it: its entry in functions.metadata (name, entry point,
/// trigger binding) and the method that entry point names.
/// </summary>
public sealed record LocalFunction(string Name, MethodInfo Method, JsonObject Trigger)
{
    /// <summary>The trigger binding's type: httpTrigger, queueTrigger, timerTrigger, orchestrationTrigger, activityTrigger, …</summary>
    public string TriggerType => (string?)Trigger["type"] ?? "";

    /// <summary>The trigger's parameter name (its binding "name").</summary>
    public string TriggerParameter => (string?)Trigger["name"] ?? "";

    public string? Setting(string key) => Trigger[key]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)Trigger[key] : null;
}

/// <summary>What one invocation gives a function's parameters.</summary>
public sealed record Invocation(IServiceProvider Services, CancellationToken Cancellation)
{
    public HttpContext? Http { get; init; }

    public QueueMessage? Message { get; init; }

    public TimerInfo? Timer { get; init; }

    /// <summary>An orchestrator function's context.</summary>
    public Microsoft.DurableTask.TaskOrchestrationContext? Orchestration { get; init; }

    /// <summary>An orchestrator's or activity's input, deserialized to the type the function takes.</summary>
    public object? Input { get; init; }
}

/// <summary>
/// Reads functions.metadata (the file the Worker SDK writes next to the app's assembly and the Functions host reads)
/// and binds each function's parameters the way the isolated worker does for the parameter types this app uses.
/// Anything it cannot bind stops start-up with the function's name, so a new binding is noticed here first.
/// </summary>
public static class LocalFunctions
{
    public const string MetadataFile = "functions.metadata";

    public static IReadOnlyList<LocalFunction> Load(string metadataPath)
    {
        if (!File.Exists(metadataPath))
        {
            throw new InvalidOperationException($"{metadataPath} is missing: build functions/Claims.Functions (the Worker SDK writes it).");
        }

        var functions = new List<LocalFunction>();
        foreach (var entry in JsonNode.Parse(File.ReadAllText(metadataPath))!.AsArray())
        {
            var name = (string)entry!["name"]!;
            var entryPoint = (string)entry["entryPoint"]!;
            var scriptFile = (string)entry["scriptFile"]!;
            var trigger = entry["bindings"]!.AsArray().Select(b => b!.AsObject())
                .SingleOrDefault(b => ((string?)b["type"])?.EndsWith("Trigger", StringComparison.Ordinal) == true)
                ?? throw new InvalidOperationException($"Function {name} has no trigger binding in {MetadataFile}.");
            var assembly = Assembly.Load(new AssemblyName(Path.GetFileNameWithoutExtension(scriptFile)));
            var split = entryPoint.LastIndexOf('.');
            var type = assembly.GetType(entryPoint[..split], throwOnError: true)!;
            var method = type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
                .Single(m => m.Name == entryPoint[(split + 1)..] && m.GetCustomAttribute<FunctionAttribute>()?.Name == name);
            functions.Add(new LocalFunction(name, method, (JsonObject)trigger.DeepClone()));
        }

        return functions;
    }

    /// <summary>Resolves <c>%Setting%</c> in a binding value from configuration, as the Functions host does.</summary>
    public static string Resolve(string value, IConfiguration configuration, string function)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(configuration);
        if (value.Length > 2 && value[0] == '%' && value[^1] == '%')
        {
            var setting = value[1..^1];
            return configuration[setting] is { Length: > 0 } resolved
                ? resolved
                : throw new InvalidOperationException($"Function {function}: the app setting {setting} is missing.");
        }

        return value;
    }

    /// <summary>Builds the call of <paramref name="function"/>: binds its parameters, creates its class (per
    /// invocation, from the invocation's services, as the worker's default activator does) and awaits it.</summary>
    public static Func<Invocation, Task<object?>> Invoker(LocalFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var method = function.Method;
        var binders = method.GetParameters().Select(p => Binder(function, p)).ToArray();
        var resultProperty = method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>)
            ? method.ReturnType.GetProperty(nameof(Task<object>.Result))
            : null;
        // An orchestrator runs on the Durable Task worker's own scheduler, one episode at a time: its task must be
        // awaited on that scheduler (no ConfigureAwait(false)), or the worker sees the episode end unfinished.
        var onCapturedContext = function.TriggerType == "orchestrationTrigger";
        return async invocation =>
        {
            var target = method.IsStatic ? null : ActivatorUtilities.CreateInstance(invocation.Services, method.DeclaringType!);
            var arguments = binders.Select(b => b(invocation)).ToArray();
            object? returned;
            try
            {
                returned = method.Invoke(target, arguments);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }

            if (returned is Task task)
            {
                await task.ConfigureAwait(onCapturedContext);
                return resultProperty?.GetValue(task);
            }

            return returned;
        };
    }

    private static Func<Invocation, object?> Binder(LocalFunction function, ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        if (type == typeof(CancellationToken))
        {
            return i => i.Cancellation;
        }

        if (type == typeof(FunctionContext))
        {
            throw Unsupported(function, parameter, "the local host builds no FunctionContext; take what the function needs as parameters");
        }

        if (type == typeof(Microsoft.DurableTask.Client.DurableTaskClient))
        {
            // [DurableClient]: the client of the app's task hub.
            return i => i.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>();
        }

        var isTrigger = parameter.Name == function.TriggerParameter;
        switch (function.TriggerType)
        {
            case "httpTrigger" when isTrigger && type == typeof(HttpRequest):
                return i => i.Http!.Request;
            case "httpTrigger" when type == typeof(HttpContext):
                return i => i.Http;
            case "httpTrigger" when !isTrigger && type == typeof(string):
                // Route parameters bind by name, as the worker binds them from the trigger metadata.
                var name = parameter.Name!;
                return i => i.Http!.GetRouteValue(name)?.ToString();
            case "queueTrigger" when isTrigger && type == typeof(QueueMessage):
                return i => i.Message;
            case "queueTrigger" when isTrigger && type == typeof(string):
                return i => i.Message!.MessageText;
            case "queueTrigger" when isTrigger && type == typeof(BinaryData):
                return i => i.Message!.Body;
            case "timerTrigger" when isTrigger && type == typeof(TimerInfo):
                return i => i.Timer;
            case "orchestrationTrigger" when isTrigger && type == typeof(Microsoft.DurableTask.TaskOrchestrationContext):
                return i => i.Orchestration;
            case "orchestrationTrigger" when !isTrigger:
            case "activityTrigger" when isTrigger:
                return i => i.Input;
        }

        throw Unsupported(function, parameter, "no binding for this parameter type");
    }

    /// <summary>The input and output types of an orchestrator or activity function: its input parameter (the
    /// activity's trigger parameter, or the orchestrator's parameter beside the context) and what its task returns.</summary>
    public static (Type Input, Type Output) DurableTypes(LocalFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var parameters = function.Method.GetParameters();
        var input = function.TriggerType == "activityTrigger"
            ? parameters.Single(p => p.Name == function.TriggerParameter).ParameterType
            : parameters.FirstOrDefault(p => p.Name != function.TriggerParameter && p.ParameterType != typeof(CancellationToken))?.ParameterType ?? typeof(object);
        var returns = function.Method.ReturnType;
        var output = returns.IsGenericType && returns.GetGenericTypeDefinition() == typeof(Task<>) ? returns.GetGenericArguments()[0]
            : returns == typeof(Task) || returns == typeof(void) ? typeof(object)
            : returns;
        return (input, output);
    }

    private static NotSupportedException Unsupported(LocalFunction function, ParameterInfo parameter, string why) =>
        new($"Function {function.Name}, parameter {parameter.Name} ({parameter.ParameterType.Name}): {why} in the local host.");
}
