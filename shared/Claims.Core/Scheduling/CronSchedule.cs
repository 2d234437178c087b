namespace Claims.Core.Scheduling;

/// <summary>
/// A six-field NCRONTAB expression as Azure Functions timer triggers use it:
/// <c>{second} {minute} {hour} {day} {month} {day-of-week}</c>, each field <c>*</c>, a number, a range <c>a-b</c>,
/// a list <c>a,b</c> and a step <c>*/n</c> or <c>a-b/n</c>; months and days of week also by name (JAN, MON).
/// Day of week 0 and 7 are Sunday. As in NCrontab, day-of-month and day-of-week must both match.
/// Times are UTC (WEBSITE_TIME_ZONE is not supported on Linux plans, so we use UTC everywhere).
/// </summary>
public sealed class CronSchedule
{
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly bool[] seconds;
    private readonly bool[] minutes;
    private readonly bool[] hours;
    private readonly bool[] days;
    private readonly bool[] months;
    private readonly bool[] daysOfWeek;

    private CronSchedule(string expression, bool[][] fields)
    {
        Expression = expression;
        (seconds, minutes, hours, days, months, daysOfWeek) = (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
    }

    public string Expression { get; }

    /// <summary>Parses an expression; a bad one is a value (the error text), not an exception.</summary>
    public static bool TryParse(string? expression, out CronSchedule? schedule, out string? error)
    {
        schedule = null;
        error = null;
        var parts = (expression ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 6)
        {
            error = "A schedule has six fields: second minute hour day month day-of-week.";
            return false;
        }

        (string Name, int Min, int Max, string[]? Names)[] specs =
        [
            ("second", 0, 59, null), ("minute", 0, 59, null), ("hour", 0, 23, null),
            ("day", 1, 31, null), ("month", 1, 12, MonthNames), ("day-of-week", 0, 7, DayNames),
        ];
        var fields = new bool[6][];
        for (var i = 0; i < 6; i++)
        {
            var spec = specs[i];
            var bits = ParseField(parts[i], spec.Min, spec.Max, spec.Names, spec.Min == 1 && spec.Names is not null ? 1 : 0);
            if (bits is null)
            {
                error = $"The {spec.Name} field '{parts[i]}' is not valid (allowed {spec.Min}-{spec.Max}).";
                return false;
            }

            fields[i] = bits;
        }

        // 7 is Sunday as well as 0.
        if (fields[5][7])
        {
            fields[5][0] = true;
        }

        schedule = new CronSchedule(string.Join(' ', parts), fields);
        return true;
    }

    public static CronSchedule Parse(string expression) =>
        TryParse(expression, out var schedule, out var error) ? schedule! : throw new FormatException(error);

    /// <summary>The first occurrence strictly after <paramref name="after"/>, in UTC; null when none ever matches (e.g. 31 February).</summary>
    public DateTimeOffset? GetNextOccurrence(DateTimeOffset after)
    {
        var t = after.ToUniversalTime();
        t = new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, TimeSpan.Zero).AddSeconds(1);
        // Day-of-month and day-of-week combinations repeat within 28 years in the Gregorian calendar.
        var limit = t.AddYears(28);
        while (t < limit)
        {
            if (!months[t.Month])
            {
                t = new DateTimeOffset(t.Year, t.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
                continue;
            }

            if (!days[t.Day] || !daysOfWeek[(int)t.DayOfWeek])
            {
                t = new DateTimeOffset(t.Year, t.Month, t.Day, 0, 0, 0, TimeSpan.Zero).AddDays(1);
                continue;
            }

            if (!hours[t.Hour])
            {
                t = new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, 0, 0, TimeSpan.Zero).AddHours(1);
                continue;
            }

            if (!minutes[t.Minute])
            {
                t = new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, t.Minute, 0, TimeSpan.Zero).AddMinutes(1);
                continue;
            }

            if (!seconds[t.Second])
            {
                t = t.AddSeconds(1);
                continue;
            }

            return t;
        }

        return null;
    }

    public override string ToString() => Expression;

    private static bool[]? ParseField(string field, int min, int max, string[]? names, int nameOffset)
    {
        var bits = new bool[max + 1];
        foreach (var item in field.Split(','))
        {
            var step = 1;
            var rangePart = item;
            var slash = item.IndexOf('/');
            if (slash >= 0)
            {
                if (!int.TryParse(item.AsSpan(slash + 1), out step) || step < 1)
                {
                    return null;
                }

                rangePart = item[..slash];
            }

            int low, high;
            if (rangePart == "*")
            {
                (low, high) = (min, max);
            }
            else
            {
                var dash = rangePart.IndexOf('-');
                var lowText = dash >= 0 ? rangePart[..dash] : rangePart;
                if (!TryValue(lowText, names, nameOffset, out low))
                {
                    return null;
                }

                high = low;
                if (dash >= 0 && !TryValue(rangePart[(dash + 1)..], names, nameOffset, out high))
                {
                    return null;
                }

                // "a/n" means from a to the end, as in NCrontab.
                if (dash < 0 && slash >= 0)
                {
                    high = max;
                }
            }

            if (low < min || high > max || low > high)
            {
                return null;
            }

            for (var v = low; v <= high; v += step)
            {
                bits[v] = true;
            }
        }

        return bits;
    }

    private static bool TryValue(string text, string[]? names, int nameOffset, out int value)
    {
        if (int.TryParse(text, out value))
        {
            return true;
        }

        if (names is not null)
        {
            var index = Array.FindIndex(names, n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            value = index + nameOffset;
            return index >= 0;
        }

        return false;
    }
}
