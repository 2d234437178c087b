using Claims.Storage.Rest;

namespace Claims.Storage.Tests;

public sealed class StorageConnectionTests
{
    private const string Key = "c2VjcmV0LWtleS1ieXRlcy10aGF0LW11c3Qtbm90LWxlYWs=";

    [Fact]
    public void Parse_DevelopmentStorage_UsesAzuriteDefaults()
    {
        var c = StorageConnection.Parse("UseDevelopmentStorage=true");

        Assert.Equal("devstoreaccount1", c.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), c.BlobEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1"), c.QueueEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), c.TableEndpoint);
        Assert.Equal(Convert.FromBase64String(StorageConnection.DevelopmentAccountKey), c.AccountKey);
    }

    [Fact]
    public void Parse_AccountWithDefaults_BuildsHttpsEndpoints()
    {
        var c = StorageConnection.Parse($"DefaultEndpointsProtocol=https;AccountName=claimsprod;AccountKey={Key}");

        Assert.Equal(new Uri("https://claimsprod.blob.core.windows.net"), c.BlobEndpoint);
        Assert.Equal(new Uri("https://claimsprod.queue.core.windows.net"), c.QueueEndpoint);
        Assert.Equal(new Uri("https://claimsprod.table.core.windows.net"), c.TableEndpoint);
    }

    [Fact]
    public void Parse_EndpointSuffix_UsedForAllServices()
    {
        var c = StorageConnection.Parse($"AccountName=gov;AccountKey={Key};EndpointSuffix=core.usgovcloudapi.net;DefaultEndpointsProtocol=http");

        Assert.Equal(new Uri("http://gov.blob.core.usgovcloudapi.net"), c.BlobEndpoint);
        Assert.Equal(new Uri("http://gov.table.core.usgovcloudapi.net"), c.TableEndpoint);
    }

    [Fact]
    public void Parse_ExplicitEndpoints_OverrideDefaults()
    {
        var c = StorageConnection.Parse(
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};" +
            "BlobEndpoint=http://127.0.0.1:1234/devstoreaccount1/;QueueEndpoint=http://127.0.0.1:1235/devstoreaccount1;");

        Assert.Equal(new Uri("http://127.0.0.1:1234/devstoreaccount1"), c.BlobEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:1235/devstoreaccount1"), c.QueueEndpoint);
        Assert.Equal(new Uri("http://devstoreaccount1.table.core.windows.net"), c.TableEndpoint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("AccountName=x")]
    [InlineData("AccountKey=" + Key)]
    [InlineData("AccountName=x;AccountKey=" + Key + ";BlobEndpoint=not a url")]
    [InlineData("AccountName=x;AccountKey=" + Key + ";DefaultEndpointsProtocol=ftp")]
    [InlineData("AccountName=x;AccountKey=" + Key + ";AccountName=y")]
    [InlineData("garbage;AccountKey=" + Key)]
    [InlineData("AccountName=x;AccountKey=" + Key + "!!")]
    public void Parse_Invalid_ThrowsFormatExceptionWithoutKey(string connectionString)
    {
        var ex = Assert.Throws<FormatException>(() => StorageConnection.Parse(connectionString));

        Assert.DoesNotContain(Key, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_NeverContainsKey()
    {
        var c = StorageConnection.Parse($"AccountName=claimsprod;AccountKey={Key}");

        Assert.DoesNotContain(Key, c.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void FromIdentity_NoUris_UsesPublicCloudEndpoints()
    {
        var c = StorageConnection.FromIdentity("claimsprod", null, new Uri("https://q.example.net/"), null, new FixedToken());

        Assert.Equal(new Uri("https://claimsprod.blob.core.windows.net"), c.BlobEndpoint);
        Assert.Equal(new Uri("https://q.example.net"), c.QueueEndpoint);
        Assert.Null(c.AccountKey);
    }

    private sealed class FixedToken : Azure.Core.TokenCredential
    {
        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
