using Claims.Core.Scheduling;

namespace Claims.Core.Tests.Scheduling;

public sealed class CronScheduleTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 17, 30, 15, TimeSpan.Zero);

    [Theory]
    [InlineData("0 0 6 * * *", "2026-11-24T06:00:00+00:00")]
    [InlineData("*/10 * * * * *", "2026-11-23T17:30:20+00:00")]
    [InlineData("0 */5 * * * *", "2026-11-23T17:35:00+00:00")]
    [InlineData("0 0 9 * * MON-FRI", "2026-11-24T09:00:00+00:00")]
    [InlineData("0 0 9 * * SAT", "2026-11-28T09:00:00+00:00")]
    [InlineData("0 0 0 1 JAN *", "2027-01-01T00:00:00+00:00")]
    [InlineData("0 30 17 23 11 1", "2037-11-23T17:30:00+00:00")] // today's 17:30:00 has passed; the next Monday 23 November is in 2037
    [InlineData("30 15 10,20 * * *", "2026-11-23T20:15:30+00:00")]
    [InlineData("0 0 12 * * 0", "2026-11-29T12:00:00+00:00")]
    [InlineData("0 0 12 * * 7", "2026-11-29T12:00:00+00:00")]
    public void GetNextOccurrence_ValidExpression_ReturnsNextMatchingUtcTime(string expression, string expected)
    {
        var schedule = CronSchedule.Parse(expression);

        var next = schedule.GetNextOccurrence(Start);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), next);
    }

    [Fact]
    public void GetNextOccurrence_IsStrictlyAfterTheGivenTime()
    {
        var schedule = CronSchedule.Parse("0 0 6 * * *");
        var six = new DateTimeOffset(2026, 11, 24, 6, 0, 0, TimeSpan.Zero);

        Assert.Equal(six.AddDays(1), schedule.GetNextOccurrence(six));
    }

    [Fact]
    public void GetNextOccurrence_ImpossibleDate_ReturnsNull()
    {
        var schedule = CronSchedule.Parse("0 0 0 31 FEB *");

        Assert.Null(schedule.GetNextOccurrence(Start));
    }

    [Theory]
    [InlineData("0 0 6 * *")]
    [InlineData("0 0 6 * * * *")]
    [InlineData("60 0 6 * * *")]
    [InlineData("0 0 24 * * *")]
    [InlineData("0 0 6 0 * *")]
    [InlineData("0 0 6 * 13 *")]
    [InlineData("0 0 6 * * 8")]
    [InlineData("0 0 6 * * FUNDAY")]
    [InlineData("0 */0 * * * *")]
    [InlineData("0 10-5 * * * *")]
    [InlineData("")]
    public void TryParse_InvalidExpression_ReturnsErrorNamingTheProblem(string expression)
    {
        var ok = CronSchedule.TryParse(expression, out var schedule, out var error);

        Assert.False(ok);
        Assert.Null(schedule);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }
}
