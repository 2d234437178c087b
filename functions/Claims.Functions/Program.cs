using Claims.Application;
using Claims.Functions.Hosting;
using Claims.Functions.Http;
using Claims.Storage;

if (args is [FunctionMetadata.GenerateSwitch, var metadataDir])
{
    // Publish step: write <dir>/<FunctionName>/function.json from the catalog, then exit.
    foreach (var folder in FunctionMetadata.Write(metadataDir, Catalog.Functions))
    {
        Console.WriteLine(folder);
    }

    return;
}

var builder = WebApplication.CreateBuilder(args);
var scriptRoot = ScriptRoot.Find(builder.Environment.ContentRootPath);
HostConfiguration.AddFunctionsSources(builder.Configuration, scriptRoot);
if (HostingMode.CustomHandlerPort(builder.Configuration) is { } customHandlerPort)
{
    // Azure: the Functions host calls its custom handler on loopback; the public endpoint is the host's own.
    builder.WebHost.UseUrls($"http://127.0.0.1:{customHandlerPort}");
}
else if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    // The Functions default: http://localhost:7071/api.
    builder.WebHost.UseUrls("http://localhost:7071");
}

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddClaimsStorage();
builder.Services.AddClaimsApplication();
builder.Services.AddFunctionsHost(builder.Configuration);
builder.Services.AddSecurityHost();
builder.Services.AddExceptionHandler<StorageOutageHandler>();
builder.Services.AddProblemDetails();

var app = builder.Build();
app.UseExceptionHandler();
app.MapFunctions();
app.Run();

/// <summary>The app's entry point (public so the integration tests can host it).</summary>
public partial class Program;
