using Claims.Functions.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;

// The isolated worker the Functions host starts in Azure (and `func start` with Core Tools). functions/Claims.LocalHost
// runs the same function classes with the same services (AddClaimsFunctionApp) where the host is not installed.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
HostConfiguration.AddFunctionsSources(builder.Configuration, ScriptRoot.Find(AppContext.BaseDirectory));
builder.Services.AddClaimsFunctionApp();
builder.Build().Run();
