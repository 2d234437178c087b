using Claims.Application;
using Claims.Functions.Hosting;
using Claims.Functions.Http;
using Claims.Storage.Rest;

var builder = WebApplication.CreateBuilder(args);
var scriptRoot = ScriptRoot.Find(builder.Environment.ContentRootPath);
HostConfiguration.AddFunctionsSources(builder.Configuration, scriptRoot);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    // The Functions default: http://localhost:7071/api.
    builder.WebHost.UseUrls("http://localhost:7071");
}

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(sp => new StorageClients(
    StorageSetup.Connect(sp.GetRequiredService<IConfiguration>()),
    sp.GetRequiredService<IConfiguration>().GetSection("Storage").Get<StorageClientOptions>() ?? new StorageClientOptions()));
builder.Services.AddClaimsApplication();
builder.Services.AddFunctionsHost(builder.Configuration);
builder.Services.AddExceptionHandler<StorageOutageHandler>();
builder.Services.AddProblemDetails();

var app = builder.Build();
app.UseExceptionHandler();
app.MapFunctions();
app.Run();

/// <summary>The app's entry point (public so the integration tests can host it).</summary>
public partial class Program;
