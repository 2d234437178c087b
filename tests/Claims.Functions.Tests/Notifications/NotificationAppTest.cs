using Claims.Testing;

namespace Claims.Functions.Tests.Notifications;

/// <summary>
/// A notification test's parts: the app on Azurite (<see cref="NotificationTests.Settings"/> unless given others) and
/// a loopback receiver, both disposed after each test.
/// </summary>
public abstract class NotificationAppTest(AzuriteFixture azurite, IReadOnlyDictionary<string, string?>? settings = null) : IAsyncLifetime
{
    private protected AppFactory App { get; } = new(azurite, settings ?? NotificationTests.Settings);

    private protected WebhookReceiver Receiver { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
