using Claims.Functions.Hosting;

namespace Claims.LocalHost;

/// <summary>
/// The local host: the function app of functions/Claims.Functions run the way the Azure Functions host runs it —
/// HTTP routes on http://localhost:7071/api, queue listeners with host.json's queue semantics, NCRONTAB timers —
/// from the functions.metadata file the Worker SDK generated, with the same services (AddClaimsFunctionApp).
/// </summary>
public sealed class Program
{
    private Program()
    {
    }

    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        HostConfiguration.AddFunctionsSources(builder.Configuration, ScriptRoot.Find(builder.Environment.ContentRootPath));
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            // The Functions default: http://localhost:7071/api.
            builder.WebHost.UseUrls("http://localhost:7071");
        }

        builder.Services.AddClaimsFunctionApp();
        var functions = LocalFunctions.Load(Path.Combine(AppContext.BaseDirectory, LocalFunctions.MetadataFile));
        builder.Services.AddLocalTriggers(functions);
        builder.Services.AddLocalDurable(functions);

        var app = builder.Build();
        app.MapLocalHttpFunctions(functions);
        app.Run();
    }
}
