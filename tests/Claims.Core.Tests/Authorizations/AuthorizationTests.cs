using System.Collections.Immutable;
using System.Text;
using Claims.Core.Authorizations;
using Claims.Core.Claims;
using Claims.Core.Rules;

namespace Claims.Core.Tests.Authorizations;

public sealed class AuthorizationJsonTests
{
    private const string Valid = """
        { "authNumber": "AUTH-1001", "patientIdentifier": "MRN-42", "payer": "BCBSMA",
          "serviceType": "ABA", "cptCodes": ["97153", "97155"],
          "startDate": "2026-09-01", "expirationDate": "2026-12-15",
          "unitsAuthorized": 480, "unitsUsed": 120,
          "status": "ACTIVE", "reauthLeadTimeDays": 21, "autoReauthEnabled": false, "lastAlertSent": null }
        """;

    [Fact]
    public void Read_ApiExample_ReadsEveryField()
    {
        var result = AuthorizationJson.Read(Encoding.UTF8.GetBytes(Valid));

        Assert.True(result.IsValid);
        var a = result.Value!;
        Assert.Equal("AUTH-1001", a.AuthNumber);
        Assert.Equal(["97153", "97155"], a.CptCodes.AsEnumerable());
        Assert.Equal(new DateOnly(2026, 12, 15), a.ExpirationDate);
        Assert.Equal(360m, a.UnitsRemaining);
        Assert.Equal(21, a.ReauthLeadTimeDays);
    }

    [Fact]
    public void Read_EveryProblem_ReportsEachWithItsPath()
    {
        var json = """
            { "authNumber": "AUTH/1", "payer": "", "cptCodes": ["97153", "9715", "97153"],
              "startDate": "2026-12-01", "expirationDate": "2026-11-01",
              "unitsAuthorized": 10, "unitsUsed": 11, "status": "OPEN", "reauthLeadTimeDays": -1, "colour": "red" }
            """;

        var result = AuthorizationJson.Read(Encoding.UTF8.GetBytes(json));

        Assert.False(result.IsValid);
        var paths = result.Issues.Select(i => i.Expression).ToList();
        Assert.Equal(
            ["colour", "authNumber", "patientIdentifier", "payer", "cptCodes[1]", "cptCodes[2]", "expirationDate", "unitsUsed", "status", "reauthLeadTimeDays"],
            paths);
        Assert.DoesNotContain(result.Issues, i => i.Diagnostics.Contains("MRN", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"unitsAuthorized": -1}""", "unitsAuthorized")]
    [InlineData("""{"cptCodes": []}""", "cptCodes")]
    [InlineData("""{"startDate": "2026/09/01"}""", "startDate")]
    [InlineData("""{"autoReauthEnabled": "yes"}""", "autoReauthEnabled")]
    public void Read_OneBadField_NamesThatField(string patch, string path)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Valid)!.AsObject();
        foreach (var (key, value) in System.Text.Json.Nodes.JsonNode.Parse(patch)!.AsObject())
        {
            node[key] = value?.DeepClone();
        }

        var result = AuthorizationJson.Read(Encoding.UTF8.GetBytes(node.ToJsonString()));

        Assert.Equal([path], result.Issues.Select(i => i.Expression));
    }

    [Fact]
    public void Read_NotJson_OneStructureIssue()
    {
        var result = AuthorizationJson.Read("{\"authNumber\": "u8);

        Assert.Equal("structure", Assert.Single(result.Issues).Code);
    }

    [Fact]
    public void WriteStored_RoundTrip_KeepsUsageHistory()
    {
        var a = AuthorizationJson.Read(Encoding.UTF8.GetBytes(Valid)).Value!
            .WithUsage(8, new DateOnly(2026, 9, 2)) with { LastAlertSent = new DateTimeOffset(2026, 9, 3, 6, 0, 0, TimeSpan.Zero) };

        var back = AuthorizationJson.ReadStored(AuthorizationJson.WriteStored(a));

        Assert.Equal(128m, back.UnitsUsed);
        Assert.Equal([new UnitUsage(new DateOnly(2026, 9, 2), 8)], back.Usage.AsEnumerable());
        Assert.Equal(a.LastAlertSent, back.LastAlertSent);
    }
}

public sealed class AuthorizationMatchingTests
{
    [Fact]
    public void FindMatching_SeveralMatch_TakesTheOneExpiringLast()
    {
        Authorization[] candidates =
        [
            Auth.Make("A-1", start: new(2026, 1, 1), end: new(2026, 6, 30)),
            Auth.Make("A-2", start: new(2026, 3, 1), end: new(2026, 9, 30)),
            Auth.Make("A-3", start: new(2026, 1, 1), end: new(2026, 12, 31), codes: ["97155"]),
        ];

        var match = AuthorizationMatching.FindMatching(candidates, Auth.Claim(new(2026, 4, 1), "97153"));

        Assert.Equal("A-2", match?.AuthNumber);
    }

    [Theory]
    [InlineData("MRN-43", "BCBSMA", "97153", "2026-04-01")]
    [InlineData("MRN-42", "AETNA", "97153", "2026-04-01")]
    [InlineData("MRN-42", "BCBSMA", "90837", "2026-04-01")]
    [InlineData("MRN-42", "BCBSMA", "97153", "2027-01-01")]
    public void FindMatching_OneCriterionDiffers_NoMatch(string patient, string payer, string code, string date)
    {
        var claim = Auth.Claim(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture), code) with { PatientIdentifier = patient, PayerId = payer };

        Assert.Null(AuthorizationMatching.FindMatching([Auth.Make("A-1", start: new(2026, 1, 1), end: new(2026, 12, 31))], claim));
    }

    [Fact]
    public void FindMatching_CaseAndSpacingOfPatientAndPayer_StillMatches()
    {
        var claim = Auth.Claim(new(2026, 4, 1), "97153") with { PatientIdentifier = " mrn-42 ", PayerId = "bcbsma" };

        Assert.NotNull(AuthorizationMatching.FindMatching([Auth.Make("A-1", start: new(2026, 1, 1), end: new(2026, 12, 31))], claim));
    }

    [Fact]
    public void UnitsBilled_OnlyItemsWithAuthorizedCodes()
    {
        var claim = Auth.Claim(new(2026, 4, 1), "97153") with
        {
            Items = [Auth.Item("97153", 8), Auth.Item("90837", 2), Auth.Item("97153", null)],
        };

        Assert.Equal(9m, AuthorizationMatching.UnitsBilled(Auth.Make("A-1"), claim));
    }
}

public sealed class AuthorizationReviewerTests
{
    private static readonly AuthorizationReviewPolicy Policy = AuthorizationReviewPolicy.Default;

    [Theory]
    [InlineData("2026-11-23", "ACTIVE")] // 22 days left
    [InlineData("2026-11-24", "EXPIRING_SOON")] // 21 days left = lead time
    [InlineData("2026-12-15", "EXPIRING_SOON")] // last covered day
    [InlineData("2026-12-16", "EXPIRED")]
    public void StatusOn_AcrossLeadTimeAndExpiry_Transitions(string today, string expected)
    {
        var a = Auth.Make("A-1", start: new(2026, 9, 1), end: new(2026, 12, 15));

        Assert.Equal(expected, AuthorizationReviewer.StatusOn(a, DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture), [], Policy));
    }

    [Theory]
    [InlineData(431, "ACTIVE")] // 49 remaining > 48
    [InlineData(432, "EXPIRING_SOON")] // 48 remaining = 10 %
    public void StatusOn_UnitsAtThreshold_ExpiringSoon(int used, string expected)
    {
        var a = Auth.Make("A-1", start: new(2026, 9, 1), end: new(2026, 12, 15)) with { UnitsUsed = used };

        Assert.Equal(expected, AuthorizationReviewer.StatusOn(a, new(2026, 10, 1), [], Policy));
    }

    [Fact]
    public void StatusOn_NewerForSameSeries_RenewedOnlyOnceItStarts()
    {
        var old = Auth.Make("A-1", start: new(2026, 9, 1), end: new(2026, 12, 15));
        var next = Auth.Make("A-2", start: new(2026, 12, 1), end: new(2027, 3, 31));
        var otherService = Auth.Make("A-3", start: new(2026, 10, 1), end: new(2027, 3, 31)) with { ServiceType = "OT" };

        Assert.Equal("EXPIRING_SOON", AuthorizationReviewer.StatusOn(old, new(2026, 11, 30), [old, next, otherService], Policy));
        Assert.Equal("RENEWED", AuthorizationReviewer.StatusOn(old, new(2026, 12, 1), [old, next, otherService], Policy));
        Assert.Equal("ACTIVE", AuthorizationReviewer.StatusOn(next, new(2026, 12, 1), [old, next, otherService], Policy));
    }

    [Fact]
    public void ForecastExhaustion_RateOfLast30Days_ProjectsTheDay()
    {
        // 60 units in the last 30 days = 2/day; 360 remaining -> 180 days.
        var a = Auth.Make("A-1", start: new(2026, 9, 1), end: new(2026, 12, 15))
            .WithUsage(40, new(2026, 9, 10))
            .WithUsage(60, new(2026, 9, 20));
        var asOf = new DateOnly(2026, 10, 15); // window 2026-09-16..2026-10-15 holds only the 60

        Assert.Equal(380m, a.UnitsRemaining);
        Assert.Equal(asOf.AddDays(190), AuthorizationReviewer.ForecastExhaustion(a, asOf, Policy));
        Assert.Null(AuthorizationReviewer.ForecastExhaustion(a, new(2026, 11, 30), Policy));
    }

    [Fact]
    public void Review_FastConsumption_ForecastAlertNamesTheDay()
    {
        // 300 units in 30 days = 10/day; 480-300 = 180 remaining -> 18 days: 2026-10-19, before 2026-11-24.
        var a = Auth.Make("A-1", start: new(2026, 9, 1), end: new(2026, 12, 15)).WithUsage(300, new(2026, 9, 30));

        var review = AuthorizationReviewer.Review(a, new(2026, 10, 1), [], Policy);

        var alert = Assert.Single(review.Alerts);
        Assert.Equal(AuthorizationAlertKind.AuthorizationUnitsForecast, alert.Kind);
        Assert.Contains("units will run out on 2026-10-19", alert.Text, StringComparison.Ordinal);
        Assert.Equal("ACTIVE", review.Authorization.Status);
    }

    [Fact]
    public void Review_ExpiringWithAutoReauth_RaisesExpiringAndReauthRequestWithoutPatient()
    {
        var a = Auth.Make("A-1", start: new(2026, 9, 1), end: new(2026, 12, 15)) with { AutoReauthEnabled = true, UnitsUsed = 120 };

        var review = AuthorizationReviewer.Review(a, new(2026, 11, 24), [], Policy);

        Assert.Equal("EXPIRING_SOON", review.Authorization.Status);
        Assert.True(review.StatusChanged);
        Assert.Equal(
            [AuthorizationAlertKind.AuthorizationExpiring, AuthorizationAlertKind.AuthorizationReauthRequest],
            review.Alerts.Select(x => x.Kind));
        var request = review.Alerts[1].Text;
        Assert.Contains("payer BCBSMA", request, StringComparison.Ordinal);
        Assert.Contains("CPT 97153, 97155", request, StringComparison.Ordinal);
        Assert.Contains("remaining 360", request, StringComparison.Ordinal);
        Assert.Contains("requested period from 2026-12-16", request, StringComparison.Ordinal);
        Assert.DoesNotContain("MRN-42", request, StringComparison.Ordinal);
        Assert.Equal(new DateOnly(2026, 12, 16), review.NextReview);
    }

    [Fact]
    public void Review_SameDayTwice_SameAlertKeys()
    {
        var a = Auth.Make("A-1", start: new(2026, 9, 1), end: new(2026, 12, 15));
        var first = AuthorizationReviewer.Review(a, new(2026, 11, 24), [], Policy);
        var second = AuthorizationReviewer.Review(first.Authorization, new(2026, 11, 25), [], Policy);

        Assert.Equal(first.Alerts.Select(x => x.Key), second.Alerts.Select(x => x.Key));
        Assert.False(second.StatusChanged);
    }

    [Theory]
    [InlineData("2026-08-15", "2026-09-01")] // before start: the start day (renewal of older ones)
    [InlineData("2026-10-01", "2026-11-24")] // expiration - lead
    [InlineData("2026-11-24", "2026-12-16")] // expiration + 1
    public void NextReview_Active_NextDateThatCanChangeSomething(string today, string expected)
    {
        var a = Auth.Make("A-1", start: new(2026, 9, 1), end: new(2026, 12, 15));

        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), AuthorizationReviewer.NextReview(a, DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void NextReview_Expired_None()
    {
        var a = Auth.Make("A-1") with { Status = AuthorizationStatuses.Expired };

        Assert.Null(AuthorizationReviewer.NextReview(a, new(2027, 1, 1)));
    }
}

internal static class Auth
{
    public static Authorization Make(string number, DateOnly? start = null, DateOnly? end = null, ImmutableArray<string>? codes = null) => new()
    {
        AuthNumber = number,
        PatientIdentifier = "MRN-42",
        Payer = "BCBSMA",
        ServiceType = "ABA",
        CptCodes = codes ?? ["97153", "97155"],
        StartDate = start ?? new(2026, 9, 1),
        ExpirationDate = end ?? new(2026, 12, 15),
        UnitsAuthorized = 480,
    };

    public static ClaimFacts Claim(DateOnly serviceDate, string code) => new()
    {
        ServiceDate = serviceDate,
        PatientIdentifier = "MRN-42",
        PayerId = "BCBSMA",
        Items = [Item(code, 4)],
    };

    public static ClaimItemFacts Item(string code, decimal? units) => new() { Sequence = 1, Codes = [code], Units = units };
}
