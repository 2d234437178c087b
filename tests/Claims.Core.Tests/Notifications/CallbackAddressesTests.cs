using System.Net;
using Claims.Core.Notifications;

namespace Claims.Core.Tests.Notifications;

public class CallbackAddressesTests
{
    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("127.0.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:127.0.0.1")]
    public void IsAllowed_NonPublicAddress_Refused(string address) =>
        Assert.False(CallbackAddresses.IsAllowed(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("169.253.1.1")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("::ffff:8.8.8.8")]
    public void IsAllowed_PublicAddress_Allowed(string address) =>
        Assert.True(CallbackAddresses.IsAllowed(IPAddress.Parse(address)));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void IsAllowed_LoopbackWithOption_Allowed(string address) =>
        Assert.True(CallbackAddresses.IsAllowed(IPAddress.Parse(address), allowLoopback: true));

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("169.254.169.254")]
    public void IsAllowed_PrivateWithLoopbackOption_StillRefused(string address) =>
        Assert.False(CallbackAddresses.IsAllowed(IPAddress.Parse(address), allowLoopback: true));

    [Fact]
    public void AreAllowed_OnePrivateAmongPublic_Refused() =>
        Assert.False(CallbackAddresses.AreAllowed([IPAddress.Parse("8.8.8.8"), IPAddress.Parse("10.1.2.3")]));

    [Fact]
    public void AreAllowed_NoAddresses_Refused() => Assert.False(CallbackAddresses.AreAllowed([]));
}
