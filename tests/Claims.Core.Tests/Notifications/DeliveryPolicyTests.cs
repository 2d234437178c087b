using Claims.Core.Notifications;

namespace Claims.Core.Tests.Notifications;

/// <summary>The retry schedule and the classification of attempts (docs/NOTIFICATIONS.md "Retries").</summary>
public class DeliveryPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly DeliveryPolicy Policy = DeliveryPolicy.Default;

    [Theory]
    [InlineData(200)]
    [InlineData(202)]
    [InlineData(204)]
    [InlineData(299)]
    public void Decide_2xx_Delivered(int status) =>
        Assert.Equal(DeliveryVerdict.Delivered, Policy.Decide(AttemptResult.Status(status), 1, T0, T0).Verdict);

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(599)]
    [InlineData(408)]
    [InlineData(429)]
    public void Decide_5xx408429_RetriedAfterTheFirstDelay(int status)
    {
        var decision = Policy.Decide(AttemptResult.Status(status), 1, T0, T0);
        Assert.Equal(DeliveryVerdict.Retry, decision.Verdict);
        Assert.Equal(T0.AddSeconds(5), decision.NextAttemptAt);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(410)]
    [InlineData(413)]
    [InlineData(422)]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(100)]
    public void Decide_Other4xxAnd3xx_RejectedNoRetry(int status)
    {
        var decision = Policy.Decide(AttemptResult.Status(status), 1, T0, T0);
        Assert.Equal(DeliveryVerdict.Rejected, decision.Verdict);
        Assert.Null(decision.NextAttemptAt);
    }

    [Fact]
    public void Decide_TimeoutAndConnectionError_Retried_RefusedAddressNot()
    {
        Assert.Equal(DeliveryVerdict.Retry, Policy.Decide(AttemptResult.Timeout, 1, T0, T0).Verdict);
        Assert.Equal(DeliveryVerdict.Retry, Policy.Decide(AttemptResult.ConnectionError, 1, T0, T0).Verdict);
        Assert.Equal(DeliveryVerdict.Rejected, Policy.Decide(AttemptResult.Refused, 1, T0, T0).Verdict);
        Assert.Equal("timeout", AttemptResult.Timeout.Code);
        Assert.Equal("connection", AttemptResult.ConnectionError.Code);
        Assert.Equal("address-refused", AttemptResult.Refused.Code);
        Assert.Equal("http-503", AttemptResult.Status(503).Code);
    }

    [Fact]
    public void Schedule_FailingForever_AttemptsAtTheDocumentedTimesThenExpiresWithin24Hours()
    {
        var now = T0;
        var attempts = new List<TimeSpan> { TimeSpan.Zero };
        for (var attempt = 1; ; attempt++)
        {
            var decision = Policy.Decide(AttemptResult.Status(503), attempt, T0, now);
            if (decision.Verdict != DeliveryVerdict.Retry)
            {
                Assert.Equal(DeliveryVerdict.Expired, decision.Verdict);
                break;
            }

            now = decision.NextAttemptAt!.Value;
            attempts.Add(now - T0);
        }

        // 0, 5 s, 35 s, 2m35s, 12m35s, 42m35s, 1h42m35s, 3h42m35s, 7h42m35s, then every 8 h: 15h42m35s, 23h42m35s.
        var expected = new[] { "00:00:00", "00:00:05", "00:00:35", "00:02:35", "00:12:35", "00:42:35", "01:42:35", "03:42:35", "07:42:35", "15:42:35", "23:42:35" }
            .Select(TimeSpan.Parse).ToList();
        Assert.Equal(expected, attempts);
        Assert.True(attempts[^1] <= TimeSpan.FromHours(24));
    }

    [Fact]
    public void Decide_RetryAfterLongerThanTheSchedule_Honoured_ShorterIgnored()
    {
        Assert.Equal(T0.AddMinutes(10), Policy.Decide(AttemptResult.Status(429, TimeSpan.FromMinutes(10)), 1, T0, T0).NextAttemptAt);
        Assert.Equal(T0.AddSeconds(5), Policy.Decide(AttemptResult.Status(503, TimeSpan.FromSeconds(1)), 1, T0, T0).NextAttemptAt);
    }

    [Fact]
    public void Decide_RetryAfterBeyondTheWindow_Expired()
    {
        var decision = Policy.Decide(AttemptResult.Status(503, TimeSpan.FromHours(30)), 1, T0, T0);
        Assert.Equal(DeliveryVerdict.Expired, decision.Verdict);
    }

    [Fact]
    public void ShouldDisable_AfterADayOfFailures()
    {
        var day = TimeSpan.FromHours(24);
        Assert.False(DeliveryPolicy.ShouldDisable(null, T0, day));
        Assert.False(DeliveryPolicy.ShouldDisable(T0, T0.AddHours(23.9), day));
        Assert.True(DeliveryPolicy.ShouldDisable(T0, T0.AddHours(24), day));
    }

    [Theory]
    [InlineData("00:00:01", 1)]
    [InlineData("00:00:05, 00:01:00 ,01:00:00", 3)]
    [InlineData("", -1)]
    [InlineData("00:00:00", -1)]
    [InlineData("-00:00:05", -1)]
    [InlineData("soon", -1)]
    public void ParseSchedule_PositiveDelaysOnly(string text, int count) =>
        Assert.Equal(count < 0 ? null : count, DeliveryPolicy.ParseSchedule(text)?.Count);
}
