using Claims.Functions.Http;
using Microsoft.AspNetCore.Http;

namespace Claims.Functions.Tests;

/// <summary>Reading request bodies within the limit (no Azurite needed).</summary>
public sealed class RequestBodyTests
{
    [Fact]
    public async Task ReadAsync_EmptyBodyWithContentLengthZero_ReturnsEmpty()
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream([]);
        context.Request.ContentLength = 0;

        var body = await RequestBody.ReadAsync(context.Request, 1024, CancellationToken.None);

        Assert.NotNull(body);
        Assert.Equal(0, body.Value.Length);
    }

    [Fact]
    public async Task ReadAsync_BodyOverLimitWithoutContentLength_ReturnsNull()
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(new byte[2048]);

        Assert.Null(await RequestBody.ReadAsync(context.Request, 1024, CancellationToken.None));
    }
}
