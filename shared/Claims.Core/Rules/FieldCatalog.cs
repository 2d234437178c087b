using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Claims.Core.Rules;

/// <summary>The kind of value a field holds (its elements, for list fields).</summary>
internal enum FieldKind
{
    Text,
    Number,
    Date,
}

/// <summary>
/// One catalog field (docs/RULES.md "Field catalog"): its type, whether rules may set it, and typed accessors over
/// the working copy. Accessors are resolved when a rule set is compiled, never per claim.
/// </summary>
internal sealed class FieldInfo
{
    public required string Name { get; init; }

    /// <summary>The type as the catalog names it (code, string, integer, decimal, date, list of string, ...).</summary>
    public required string TypeName { get; init; }

    public required FieldKind Kind { get; init; }

    public bool IsList { get; init; }

    public bool Writable { get; init; }

    public bool IsItemField { get; init; }

    /// <summary>When set, the values a rule compares with must be one of these codes.</summary>
    public IReadOnlyList<string>? AllowedCodes { get; init; }

    public Func<WorkingClaim, string?>? Text { get; init; }

    public Func<WorkingClaim, decimal?>? Number { get; init; }

    public Func<WorkingClaim, DateOnly?>? Date { get; init; }

    /// <summary>List fields of text: true when any value satisfies the predicate.</summary>
    public Func<WorkingClaim, Func<WorkingClaim, string, bool>, bool>? AnyText { get; init; }

    /// <summary>List fields of numbers: true when any value satisfies the predicate.</summary>
    public Func<WorkingClaim, Func<decimal, bool>, bool>? AnyNumber { get; init; }

    /// <summary>List fields: true when the list has at least one value.</summary>
    public Func<WorkingClaim, bool>? HasAny { get; init; }

    /// <summary>List fields: every value in order (tests and changes only, not the hot path).</summary>
    public Func<WorkingClaim, IEnumerable<string>>? Values { get; init; }
}

/// <summary>The v1 field catalog.</summary>
internal static class FieldCatalog
{
    public static readonly FrozenDictionary<string, FieldInfo> Fields = Build().ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);

    public static readonly IReadOnlyList<string> ClaimPriorities = ["stat", "normal", "deferred"];

    public static bool TryGet(string name, out FieldInfo field) => Fields.TryGetValue(name, out field!);

    private static IEnumerable<FieldInfo> Build()
    {
        yield return Text("claim.type", "code", w => w.Source.Type);
        yield return Text("claim.use", "code", w => w.Source.Use);
        yield return Text("claim.priority", "code", w => w.Priority, writable: true);
        yield return Number("claim.total", "decimal", w => w.Total);
        yield return Date("claim.created", w => w.Source.Created);
        yield return Date("claim.serviceDate", w => w.Source.ServiceDate);
        yield return Text("claim.submittedVia", "code", w => w.Source.SubmittedVia);
        yield return TextList("claim.tags", w => w.Tags);
        yield return Text("patient.gender", "code", w => w.Source.PatientGender);
        yield return Number("patient.age", "integer", w => w.Age);
        yield return Date("patient.birthDate", w => w.Source.PatientBirthDate);
        yield return Text("patient.state", "string", w => w.Source.PatientState);
        yield return Text("payer.id", "string", w => w.PayerId, writable: true);
        yield return Text("payer.name", "string", w => w.PayerName, writable: true);
        yield return Text("coverage.memberId", "string", w => w.Source.MemberId);
        yield return Text("provider.npi", "string", w => w.ProviderNpi, writable: true);
        yield return Text("rendering.npi", "string", w => w.RenderingNpi, writable: true);
        yield return ItemTextList("item.cpt", static i => i.Source.Codes.IsDefault ? [] : i.Source.Codes);
        yield return ItemTextList("item.modifiers", static i => i.Modifiers);
        yield return ItemNumberList("item.units", static i => i.Source.Units);
        yield return ItemNumberList("item.charge", static i => i.Source.Charge);
        yield return ItemTextList("item.placeOfService", static i => i.PlaceOfService, writable: true);
        yield return Number("item.count", "integer", w => w.Items.Length);
        yield return new FieldInfo
        {
            Name = "diagnosis.codes",
            TypeName = "list of string",
            Kind = FieldKind.Text,
            IsList = true,
            AnyText = static (w, predicate) =>
            {
                var diagnoses = w.Source.Diagnoses;
                if (diagnoses.IsDefault)
                {
                    return false;
                }

                foreach (var diagnosis in diagnoses)
                {
                    if (diagnosis.Codes.IsDefault)
                    {
                        continue;
                    }

                    foreach (var code in diagnosis.Codes)
                    {
                        if (!string.IsNullOrEmpty(code) && predicate(w, code))
                        {
                            return true;
                        }
                    }
                }

                return false;
            },
            HasAny = static w => w.PrincipalDiagnosis is not null || HasAnyDiagnosisCode(w),
            Values = static w => w.Source.Diagnoses.IsDefault
                ? []
                : w.Source.Diagnoses.SelectMany(d => d.Codes.IsDefault ? [] : d.Codes).Where(c => !string.IsNullOrEmpty(c)),
        };
        yield return Text("diagnosis.principal", "string", w => w.PrincipalDiagnosis);
        yield return Text("authorization.number", "string", w => w.AuthorizationNumber);
        yield return Text("authorization.status", "code", w => w.AuthorizationStatus, allowed: AuthorizationStatuses.All);
        yield return Number("authorization.unitsRemaining", "decimal", w => w.UnitsRemaining);
        yield return Number("authorization.daysToExpiry", "integer", w => w.DaysToExpiry);
        yield return Number("risk.score", "integer 0-100", w => w.RiskScore);
    }

    private static bool HasAnyDiagnosisCode(WorkingClaim w)
    {
        if (w.Source.Diagnoses.IsDefault)
        {
            return false;
        }

        foreach (var diagnosis in w.Source.Diagnoses)
        {
            if (diagnosis.Codes.IsDefault)
            {
                continue;
            }

            foreach (var code in diagnosis.Codes)
            {
                if (!string.IsNullOrEmpty(code))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static FieldInfo Text(string name, string typeName, Func<WorkingClaim, string?> get, bool writable = false, IReadOnlyList<string>? allowed = null) =>
        new() { Name = name, TypeName = typeName, Kind = FieldKind.Text, Text = get, Writable = writable, AllowedCodes = allowed };

    private static FieldInfo Number(string name, string typeName, Func<WorkingClaim, decimal?> get) =>
        new() { Name = name, TypeName = typeName, Kind = FieldKind.Number, Number = get };

    private static FieldInfo Date(string name, Func<WorkingClaim, DateOnly?> get) =>
        new() { Name = name, TypeName = "date", Kind = FieldKind.Date, Date = get };

    private static FieldInfo TextList(string name, Func<WorkingClaim, ImmutableArray<string>> get) => new()
    {
        Name = name,
        TypeName = "list of string",
        Kind = FieldKind.Text,
        IsList = true,
        AnyText = (w, predicate) =>
        {
            foreach (var value in get(w))
            {
                if (!string.IsNullOrEmpty(value) && predicate(w, value))
                {
                    return true;
                }
            }

            return false;
        },
        HasAny = w => get(w).Any(v => !string.IsNullOrEmpty(v)),
        Values = w => get(w).Where(v => !string.IsNullOrEmpty(v)),
    };

    private static FieldInfo ItemTextList(string name, Func<WorkingItem, ImmutableArray<string>> get, bool writable = false) => new()
    {
        Name = name,
        TypeName = "list of string",
        Kind = FieldKind.Text,
        IsList = true,
        IsItemField = true,
        Writable = writable,
        AnyText = (w, predicate) =>
        {
            foreach (var item in w.Items)
            {
                foreach (var value in get(item))
                {
                    if (!string.IsNullOrEmpty(value) && predicate(w, value))
                    {
                        return true;
                    }
                }
            }

            return false;
        },
        HasAny = w =>
        {
            foreach (var item in w.Items)
            {
                foreach (var value in get(item))
                {
                    if (!string.IsNullOrEmpty(value))
                    {
                        return true;
                    }
                }
            }

            return false;
        },
        Values = w => w.Items.SelectMany(i => get(i)).Where(v => !string.IsNullOrEmpty(v)),
    };

    private static FieldInfo ItemNumberList(string name, Func<WorkingItem, decimal?> get) => new()
    {
        Name = name,
        TypeName = "list of decimal",
        Kind = FieldKind.Number,
        IsList = true,
        IsItemField = true,
        AnyNumber = (w, predicate) =>
        {
            foreach (var item in w.Items)
            {
                if (get(item) is { } value && predicate(value))
                {
                    return true;
                }
            }

            return false;
        },
        HasAny = w => w.Items.Any(i => get(i).HasValue),
        Values = w => w.Items.Select(i => get(i)).Where(v => v.HasValue)
            .Select(v => v!.Value.ToString("0.##########", System.Globalization.CultureInfo.InvariantCulture)),
    };
}
