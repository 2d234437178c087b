using System.Security.Cryptography;
using System.Text;
using Claims.Core.Notifications;

namespace Claims.Core.Tests.Notifications;

public class StandardWebhookTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(Key);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\"}");
    private const string Id = "msg_1";
    private const long Ts = 1_700_000_000;

    [Fact]
    public void Sign_KnownInput_MatchesIndependentHmac()
    {
        var expected = "v1," + Convert.ToBase64String(
            HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes("msg_1.1700000000.{\"resourceType\":\"Bundle\"}")));
        Assert.Equal(expected, StandardWebhook.Sign(Secret, Id, Ts, Body));
    }

    [Fact]
    public void NewSecret_Shape_WhsecAnd32Bytes()
    {
        var s = StandardWebhook.NewSecret();
        Assert.StartsWith("whsec_", s);
        Assert.Equal(32, StandardWebhook.KeyOf(s)!.Length);
        Assert.NotEqual(s, StandardWebhook.NewSecret());
    }

    [Fact]
    public void Verify_FreshSignature_Valid()
    {
        var header = StandardWebhook.Sign(Secret, Id, Ts, Body);
        Assert.Equal(WebhookVerification.Valid,
            StandardWebhook.Verify(Secret, Id, "1700000000", header, Body, DateTimeOffset.FromUnixTimeSeconds(Ts + 299)));
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public void Verify_TimestampOutsideFiveMinutes_Refused(int offset)
    {
        var header = StandardWebhook.Sign(Secret, Id, Ts, Body);
        Assert.Equal(WebhookVerification.OutsideTolerance,
            StandardWebhook.Verify(Secret, Id, "1700000000", header, Body, DateTimeOffset.FromUnixTimeSeconds(Ts + offset)));
    }

    [Fact]
    public void Verify_TamperedBody_Mismatch()
    {
        var header = StandardWebhook.Sign(Secret, Id, Ts, Body);
        Assert.Equal(WebhookVerification.Mismatch,
            StandardWebhook.Verify(Secret, Id, "1700000000", header, "{}"u8, DateTimeOffset.FromUnixTimeSeconds(Ts)));
    }

    [Fact]
    public void Verify_RotationHeaderWithOldAndNew_EitherSecretValid()
    {
        var other = StandardWebhook.NewSecret();
        var header = StandardWebhook.SignatureHeaderValue([other, Secret], Id, Ts, Body);
        Assert.Contains(' ', header);
        var now = DateTimeOffset.FromUnixTimeSeconds(Ts);
        Assert.Equal(WebhookVerification.Valid, StandardWebhook.Verify(Secret, Id, "1700000000", header, Body, now));
        Assert.Equal(WebhookVerification.Valid, StandardWebhook.Verify(other, Id, "1700000000", header, Body, now));
        Assert.Equal(WebhookVerification.Mismatch,
            StandardWebhook.Verify(StandardWebhook.NewSecret(), Id, "1700000000", header, Body, now));
    }

    [Theory]
    [InlineData(null, "1700000000", "v1,x", WebhookVerification.Missing)]
    [InlineData("msg_1", "abc", "v1,x", WebhookVerification.Malformed)]
    [InlineData("msg_1", "1700000000", "v1,!!!", WebhookVerification.Mismatch)]
    public void Verify_BadHeaders_Refused(string? id, string ts, string sig, WebhookVerification expected) =>
        Assert.Equal(expected, StandardWebhook.Verify(Secret, id, ts, sig, Body, DateTimeOffset.FromUnixTimeSeconds(Ts)));
}
