using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Claims.Application.Tenants;
using Claims.Testing;

namespace Claims.Functions.Tests.Security;

/// <summary>Webhook signing per API.md: HMAC-SHA256 over "t.body", 5-minute window, replay refused.</summary>
[Collection(AppCollection.Name)]
public sealed class WebhookSignatureTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite, SecurityTestKit.OperatorSettings());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task PostClaim_SignedTenant_AcceptsAValidSignatureOnceAndRefusesTheReplay()
    {
        var (tenant, secret) = await SignedTenantAsync();
        using var client = SecurityTestKit.Client(app, tenant.IngestKey);
        var body = SampleClaims.AbaTherapy("CLM-SIGNED-1");
        var header = WebhookSignature.HeaderValue(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(body));

        using var first = await PostAsync(client, body, header);
        using var replay = await PostAsync(client, body, header);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("already used", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("malformed")]
    [InlineData("wrong-secret")]
    [InlineData("body-changed")]
    [InlineData("six-minutes-old")]
    [InlineData("six-minutes-ahead")]
    public async Task PostClaim_SignedTenantBadSignature_Answers401(string problem)
    {
        var (tenant, secret) = await SignedTenantAsync();
        using var client = SecurityTestKit.Client(app, tenant.IngestKey);
        var body = SampleClaims.AbaTherapy("CLM-SIGNED-" + problem);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var bytes = Encoding.UTF8.GetBytes(body);
        var header = problem switch
        {
            "missing" => null,
            "malformed" => "v1=abc",
            "wrong-secret" => WebhookSignature.HeaderValue(secret + "x", now, bytes),
            "body-changed" => WebhookSignature.HeaderValue(secret, now, Encoding.UTF8.GetBytes(body.Replace("Alex", "Alec", StringComparison.Ordinal))),
            "six-minutes-old" => WebhookSignature.HeaderValue(secret, now - 360, bytes),
            _ => WebhookSignature.HeaderValue(secret, now + 360, bytes),
        };

        using var response = await PostAsync(client, body, header);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("OperationOutcome", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostClaim_FourMinutesSkew_IsWithinTheWindow()
    {
        var (tenant, secret) = await SignedTenantAsync();
        using var client = SecurityTestKit.Client(app, tenant.IngestKey);
        var body = SampleClaims.AbaTherapy("CLM-SKEW-4");

        using var response = await PostAsync(client, body, WebhookSignature.HeaderValue(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 240, Encoding.UTF8.GetBytes(body)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task SigningSecret_RemovedOrNeverSet_UnsignedPostsAreAccepted()
    {
        var (tenant, _) = await SignedTenantAsync();
        using var op = SecurityTestKit.Client(app, SecurityTestKit.OperatorKey);
        using var removed = await op.DeleteAsync($"/api/operator/tenants/{tenant.Tenant.Value}/signing-secret");
        using var client = SecurityTestKit.Client(app, tenant.IngestKey);

        using var response = await PostAsync(client, SampleClaims.AbaTherapy("CLM-UNSIGNED"), null);

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task GetClaim_SignedTenant_NeedsNoSignature()
    {
        var (tenant, secret) = await SignedTenantAsync();
        using var client = SecurityTestKit.Client(app, tenant.IngestKey);
        var body = SampleClaims.AbaTherapy("CLM-SIGNED-GET");
        using var posted = await PostAsync(client, body, WebhookSignature.HeaderValue(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(body)));
        var claimId = JsonNode.Parse(await posted.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>();

        using var response = await client.GetAsync($"/api/claims/{claimId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void Verify_TwoSignaturesDuringRotation_AcceptsTheOneThatMatches()
    {
        var body = "{}"u8.ToArray();
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var oldSig = WebhookSignature.HeaderValue("whsec_old", now.ToUnixTimeSeconds(), body);
        var newSig = WebhookSignature.HeaderValue("whsec_new", now.ToUnixTimeSeconds(), body);
        var both = oldSig + "," + newSig[(newSig.IndexOf(',', StringComparison.Ordinal) + 1)..];

        Assert.Equal(SignatureCheck.Valid, WebhookSignature.Verify(both, body, "whsec_new", now, out _, out _));
        Assert.Equal(SignatureCheck.Valid, WebhookSignature.Verify(both, body, "whsec_old", now, out _, out _));
        Assert.Equal(SignatureCheck.Mismatch, WebhookSignature.Verify(both, body, "whsec_other", now, out _, out _));
        Assert.Equal(SignatureCheck.OutsideWindow, WebhookSignature.Verify(both, body, "whsec_new", now.AddSeconds(301), out _, out _));
        Assert.Equal(SignatureCheck.Valid, WebhookSignature.Verify(both, body, "whsec_new", now.AddSeconds(300), out _, out _));
    }

    private async Task<(TestTenant Tenant, string Secret)> SignedTenantAsync()
    {
        var tenant = await app.NewTenantAsync();
        using var op = SecurityTestKit.Client(app, SecurityTestKit.OperatorKey);
        using var response = await op.PostAsync($"/api/operator/tenants/{tenant.Tenant.Value}/signing-secret", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var secret = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["signingSecret"]!.GetValue<string>();
        Assert.StartsWith(TenantSigningSecrets.SecretPrefix, secret, StringComparison.Ordinal);
        return (tenant, secret);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string body, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/fhir/Claim") { Content = SecurityTestKit.Fhir(body) };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation(WebhookSignature.Header, signature);
        }

        return client.SendAsync(request);
    }
}
