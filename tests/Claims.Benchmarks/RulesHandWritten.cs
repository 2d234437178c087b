using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Claims.Core.Claims;
using Claims.Core.Rules;
using static Claims.Benchmarks.RulesBenchmarkData;

namespace Claims.Benchmarks;

/// <summary>The outcome of <see cref="HandWrittenRules"/>: what the engine's result holds, minus the trace.</summary>
internal sealed record HandWrittenResult(string? HeldBy, string? Reason, ImmutableArray<string> Tags, ClaimFacts Claim);

/// <summary>
/// The benchmark's 50 rules written directly in C# (the baseline the engine is measured against). Same semantics as
/// the rule language: case-insensitive strings, list fields match when any value does, missing values fail every
/// comparison except missing/neq/notIn, tags de-duplicated, a hold stops after its outcome.
/// </summary>
internal static partial class HandWrittenRules
{
    private const StringComparison Ci = StringComparison.OrdinalIgnoreCase;

    public static HandWrittenResult Evaluate(ClaimFacts claim, EvaluationContext context)
    {
        var tags = claim.Tags;
        var payerName = claim.PayerName;
        var items = claim.Items;
        var modifiers = new ImmutableArray<string>[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            modifiers[i] = items[i].Modifiers;
        }

        var changed = false;
        string? heldBy = null;
        string? reason = null;

        // tele-0..9
        for (var p = 0; p < Payers.Length; p++)
        {
            if (string.Equals(claim.PayerId, Payers[p], Ci) && AnyPlaceOfService(items, "02", "10"))
            {
                for (var i = 0; i < items.Length; i++)
                {
                    if (HasAnyCode(items[i], TelehealthCodes) && !Contains(modifiers[i], "95"))
                    {
                        modifiers[i] = modifiers[i].Add("95");
                        changed = true;
                    }
                }
            }
        }

        // payer-name-0..9
        for (var p = 0; p < Payers.Length; p++)
        {
            if (string.Equals(claim.PayerId, Payers[p], Ci) && string.IsNullOrEmpty(payerName))
            {
                payerName = PayerNames[p];
                changed = true;
            }
        }

        // high-charge-*
        foreach (var threshold in ChargeThresholds)
        {
            if (items.Any(i => i.Charge > threshold))
            {
                Tag(ref tags, $"charge-over-{threshold}");
            }
        }

        // adult-*
        var age = Age(claim.PatientBirthDate, claim.ServiceDate);
        foreach (var prefix in AdultDiagnosisPrefixes)
        {
            if (claim.Diagnoses.Any(d => d.Codes.Any(c => c.StartsWith(prefix, Ci))) && age >= 18)
            {
                Tag(ref tags, $"adult-{prefix}");
            }
        }

        // window-0..4
        decimal? total = claim.Total ?? (items.Any(i => i.Charge.HasValue) ? items.Sum(i => i.Charge ?? 0) : null);
        for (var w = 0; w < 5; w++)
        {
            if (claim.ServiceDate is { } service && service >= WindowFrom(w) && service <= WindowTo(w))
            {
                Tag(ref tags, total >= 100 ? $"q-{w}" : "low-total");
            }
        }

        if (claim.ProviderNpi is not { Length: > 0 } npi || !NpiPattern().IsMatch(npi))
        {
            Tag(ref tags, "bad-npi");
        }

        if (claim.RenderingNpi is { Length: > 0 } rendering && rendering.StartsWith('1'))
        {
            Tag(ref tags, "npi-1");
        }

        if (claim.PatientState is not { Length: > 0 } state || !HomeStates.Any(s => string.Equals(s, state, Ci)))
        {
            Tag(ref tags, "out-of-state");
        }

        if (claim.ServiceDate < new DateOnly(2026, 1, 15))
        {
            Tag(ref tags, "early");
        }

        if (items.Any(i => i.Units > 16))
        {
            Tag(ref tags, "many-units");
        }

        var status = context.Authorization?.Status ?? AuthorizationStatuses.None;
        foreach (var code in AbaCodes)
        {
            if (!items.Any(i => i.Codes.Any(c => string.Equals(c, code, Ci))))
            {
                continue;
            }

            if (!string.Equals(status, AuthorizationStatuses.Active, Ci) && !string.Equals(status, AuthorizationStatuses.ExpiringSoon, Ci))
            {
                Tag(ref tags, "aba");
                Tag(ref tags, RuleSetDocument.HoldTag);
                heldBy = $"aba-{code}";
                reason = $"Missing authorization for {code}";
                break;
            }

            if (context.Authorization?.UnitsRemaining < 8)
            {
                Tag(ref tags, "low-units");
            }
        }

        if (heldBy is null && !claim.Diagnoses.Any(d => d.Sequence == 1 && d.Codes.Length > 0 && !string.IsNullOrWhiteSpace(d.Codes[0])))
        {
            Tag(ref tags, RuleSetDocument.HoldTag);
            (heldBy, reason) = ("principal-dx", "No principal diagnosis");
        }

        if (heldBy is null && string.IsNullOrEmpty(claim.RenderingNpi))
        {
            Tag(ref tags, RuleSetDocument.HoldTag);
            (heldBy, reason) = ("rendering-npi", "No rendering NPI");
        }

        changed |= tags != claim.Tags;
        var final = claim;
        if (changed)
        {
            var finalItems = items;
            for (var i = 0; i < items.Length; i++)
            {
                if (modifiers[i] != items[i].Modifiers)
                {
                    finalItems = finalItems.SetItem(i, items[i] with { Modifiers = modifiers[i] });
                }
            }

            final = claim with { PayerName = payerName, Tags = tags, Items = finalItems };
        }

        return new HandWrittenResult(heldBy, reason, tags, final);
    }

    private static void Tag(ref ImmutableArray<string> tags, string tag)
    {
        if (!Contains(tags, tag))
        {
            tags = tags.Add(tag);
        }
    }

    private static bool Contains(ImmutableArray<string> values, string value)
    {
        foreach (var candidate in values)
        {
            if (string.Equals(candidate, value, Ci))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AnyPlaceOfService(ImmutableArray<ClaimItemFacts> items, string a, string b)
    {
        foreach (var item in items)
        {
            foreach (var pos in item.PlaceOfService)
            {
                if (string.Equals(pos, a, Ci) || string.Equals(pos, b, Ci))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool HasAnyCode(ClaimItemFacts item, string[] codes)
    {
        foreach (var code in item.Codes)
        {
            foreach (var wanted in codes)
            {
                if (string.Equals(code, wanted, Ci))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static int? Age(DateOnly? birth, DateOnly? at)
    {
        if (birth is not { } b || at is not { } d)
        {
            return null;
        }

        var age = d.Year - b.Year;
        if (d.Month < b.Month || (d.Month == b.Month && d.Day < b.Day))
        {
            age--;
        }

        return age;
    }

    [GeneratedRegex("^[0-9]{10}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 50)]
    private static partial Regex NpiPattern();
}
