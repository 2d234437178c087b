using Claims.Storage.Rest;
using Claims.Testing;

namespace Claims.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class QueueClientTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Hide = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SendThenReceive_ReturnsTextAndLease()
    {
        var queue = await TestClients.NewQueueAsync(azurite);
        const string text = "{\"claim\":\"c-1\",\"note\":\"ünï 🦷 <&>\"}";

        var sent = await queue.SendMessageAsync(text);
        var received = Assert.Single(await queue.ReceiveMessagesAsync(32, Hide));

        Assert.Equal(sent.MessageId, received.MessageId);
        Assert.Equal(text, received.Text);
        Assert.Equal(text, sent.Text);
        Assert.Equal(1, received.DequeueCount);
        Assert.NotEmpty(received.PopReceipt);
        Assert.True(received.NextVisibleOn > DateTimeOffset.UtcNow.AddSeconds(20));
        Assert.NotNull(received.InsertedOn);
    }

    [Fact]
    public async Task SendMessage_WireFormat_IsBase64Utf8()
    {
        var queue = await TestClients.NewQueueAsync(azurite);
        await queue.SendMessageAsync("héllo");

        // Read the raw wire text back through a plain-text Get Messages call.
        var raw = await RawMessageTextAsync(queue.Name);

        Assert.Equal(Convert.ToBase64String("héllo"u8.ToArray()), raw);
    }

    [Fact]
    public async Task SendMessage_WithVisibilityDelay_NotVisibleUntilThen()
    {
        var queue = await TestClients.NewQueueAsync(azurite);

        var sent = await queue.SendMessageAsync("later", visibilityDelay: TimeSpan.FromSeconds(2));
        var early = await queue.ReceiveMessagesAsync(1, Hide);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var late = await queue.ReceiveMessagesAsync(1, Hide);

        Assert.Empty(early);
        Assert.True(sent.NextVisibleOn > sent.InsertedOn);
        Assert.Equal("later", Assert.Single(late).Text);
    }

    [Fact]
    public async Task SendMessage_ShortTimeToLive_Expires()
    {
        var queue = await TestClients.NewQueueAsync(azurite);

        await queue.SendMessageAsync("brief", timeToLive: TimeSpan.FromSeconds(1));
        await queue.SendMessageAsync("forever", timeToLive: TimeSpan.MinValue);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var left = await queue.PeekMessagesAsync(32);

        Assert.Equal("forever", Assert.Single(left).Text);
    }

    [Theory]
    [InlineData(-1.0, null)]
    [InlineData(7 * 86400 + 1.0, null)]
    [InlineData(0.0, 0.5)]
    [InlineData(10.0, 5.0)]
    public async Task SendMessage_OutOfRangeTimes_ThrowsArgumentOutOfRange(double delaySeconds, double? ttlSeconds)
    {
        var queue = TestClients.For(azurite).Queue(AzuriteFixture.UniqueQueueName());
        TimeSpan? ttl = ttlSeconds is { } t ? TimeSpan.FromSeconds(t) : null;

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.SendMessageAsync("x", TimeSpan.FromSeconds(delaySeconds), ttl));
    }

    [Fact]
    public async Task SendMessage_Over64KiB_ThrowsArgumentException()
    {
        var queue = TestClients.For(azurite).Queue(AzuriteFixture.UniqueQueueName());

        await Assert.ThrowsAsync<ArgumentException>(() => queue.SendMessageAsync(new string('x', 50_000)));
    }

    [Fact]
    public async Task Receive_AfterVisibilityTimeout_RedeliversWithDequeueCountTwo()
    {
        var queue = await TestClients.NewQueueAsync(azurite);
        await queue.SendMessageAsync("again");

        var first = Assert.Single(await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(1)));
        var hidden = await queue.ReceiveMessagesAsync(1, Hide);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var second = Assert.Single(await queue.ReceiveMessagesAsync(1, Hide));

        Assert.Empty(hidden);
        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Equal(2, second.DequeueCount);
        Assert.NotEqual(first.PopReceipt, second.PopReceipt);
        await Assert.ThrowsAsync<MessageNotFoundException>(() => queue.DeleteMessageAsync(first.MessageId, first.PopReceipt));
    }

    [Fact]
    public async Task DeleteMessage_WithPopReceipt_RemovesIt()
    {
        var queue = await TestClients.NewQueueAsync(azurite);
        await queue.SendMessageAsync("done");
        var received = Assert.Single(await queue.ReceiveMessagesAsync(1, Hide));

        await queue.DeleteMessageAsync(received.MessageId, received.PopReceipt);

        Assert.Equal(0, await queue.GetApproximateCountAsync());
        await Assert.ThrowsAsync<MessageNotFoundException>(() => queue.DeleteMessageAsync(received.MessageId, received.PopReceipt));
    }

    [Fact]
    public async Task UpdateVisibility_ExtendsLeaseAndReplacesText()
    {
        var queue = await TestClients.NewQueueAsync(azurite);
        await queue.SendMessageAsync("v1");
        var received = Assert.Single(await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(1)));

        var receipt = await queue.UpdateVisibilityAsync(received.MessageId, received.PopReceipt, TimeSpan.FromSeconds(30), "v2");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var whileHidden = await queue.ReceiveMessagesAsync(1, Hide);
        var visibleAgain = await queue.UpdateVisibilityAsync(received.MessageId, receipt, TimeSpan.Zero);
        var redelivered = Assert.Single(await queue.ReceiveMessagesAsync(1, Hide));

        Assert.NotEqual(received.PopReceipt, receipt);
        Assert.NotEqual(receipt, visibleAgain);
        Assert.Empty(whileHidden);
        Assert.Equal("v2", redelivered.Text);
        await Assert.ThrowsAsync<MessageNotFoundException>(
            () => queue.UpdateVisibilityAsync(received.MessageId, received.PopReceipt, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task PeekAndCount_DoNotHideMessages()
    {
        var queue = await TestClients.NewQueueAsync(azurite);
        await queue.SendMessageAsync("a");
        await queue.SendMessageAsync("b");
        await queue.SendMessageAsync("c", visibilityDelay: TimeSpan.FromMinutes(5));

        var peeked = await queue.PeekMessagesAsync(32);
        var count = await queue.GetApproximateCountAsync();
        var received = await queue.ReceiveMessagesAsync(32, Hide);

        Assert.Equal(["a", "b"], peeked.Select(m => m.Text).Order());
        Assert.Equal(3, count);
        Assert.Equal(2, received.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    public async Task Receive_MaxMessagesOutOfRange_Throws(int max)
    {
        var queue = TestClients.For(azurite).Queue(AzuriteFixture.UniqueQueueName());

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.ReceiveMessagesAsync(max, Hide));
    }

    [Fact]
    public async Task CreateIfNotExists_Twice_Succeeds()
    {
        var queue = await TestClients.NewQueueAsync(azurite);

        await queue.CreateIfNotExistsAsync();

        Assert.Equal(0, await queue.GetApproximateCountAsync());
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("a--b")]
    [InlineData("-ab")]
    [InlineData("ab")]
    public void Queue_InvalidName_Throws(string name) =>
        Assert.Throws<ArgumentException>(() => TestClients.For(azurite).Queue(name));

    private async Task<string> RawMessageTextAsync(string queueName)
    {
        var connection = StorageConnection.Parse(azurite.ConnectionString);
        var service = StorageService.Create("queue", connection.QueueEndpoint, connection, new StorageClientOptions());
        using var message = service.CreateMessage(Azure.Core.RequestMethod.Get, service.Uri(queueName + "/messages", "peekonly=true"));
        var response = await service.SendAsync(message, "peek", CancellationToken.None);
        return System.Xml.Linq.XDocument.Parse(response.Content.ToString()).Descendants("MessageText").Single().Value;
    }
}
