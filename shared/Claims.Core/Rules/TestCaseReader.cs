using System.Collections.Immutable;
using System.Text.Json;
using Claims.Core.Claims;
using Claims.Core.Fhir;

namespace Claims.Core.Rules;

/// <summary>Reads and validates the "tests" array of a rule set (paths such as <c>tests[1].claim.payer.id</c>).</summary>
internal sealed class TestCaseReader(RuleSetReader reader, IReadOnlySet<string> ruleIds)
{
    private static readonly string[] ItemProperties = ["cpt", "modifiers", "units", "charge", "placeOfService", "serviceDate"];

    public ImmutableArray<RuleSetTestCase> ReadTests(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            reader.Invalid("tests", "\"tests\" is an array of tests.");
            return [];
        }

        var tests = ImmutableArray.CreateBuilder<RuleSetTestCase>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var index = 0;
        foreach (var testElement in element.EnumerateArray())
        {
            var path = $"tests[{index++}]";
            var issues = reader.CaptureIssues(() => ReadTest(testElement, path, names), out var test);
            if (issues.Count == 0 && test is not null)
            {
                tests.Add(test);
            }
            else
            {
                var raw = JsonSerializer.Serialize(testElement);
                if (reader.WasUnreadableTest(raw))
                {
                    reader.DropLastIssues(issues.Count);
                }

                var name = testElement.ValueKind == JsonValueKind.Object && testElement.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                    ? n.GetString()!
                    : path;
                var problem = issues.Count == 0 ? "The test could not be read." : $"{issues[0].Diagnostics} ({issues[0].Expression})";
                tests.Add(new RuleSetTestCase(name, null, null, null, null, raw, problem));
            }
        }

        return tests.ToImmutable();
    }

    private RuleSetTestCase? ReadTest(JsonElement element, string path, HashSet<string> names)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            reader.Invalid(path, "A test is an object with name, claim, expect (and optionally authorization).");
            return null;
        }

        var ok = true;
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name is not ("name" or "claim" or "authorization" or "expect"))
            {
                reader.Invalid(RuleSetReader.Join(path, property.Name), $"Unknown test property \"{RuleSetReader.Short(property.Name)}\".");
                ok = false;
            }
        }

        string? name = null;
        if (element.TryGetProperty("name", out var nameElement))
        {
            name = reader.ReadString(nameElement, $"{path}.name", "A test name")?.Trim();
            if (name is not null && !names.Add(name))
            {
                reader.Invalid($"{path}.name", "Duplicate test name.");
                ok = false;
            }
        }
        else
        {
            reader.Invalid($"{path}.name", "A test needs a \"name\".");
        }

        ClaimFacts? claim = null;
        int? risk = null;
        if (element.TryGetProperty("claim", out var claimElement))
        {
            claim = ReadClaim(claimElement, $"{path}.claim", out risk, ref ok);
        }
        else
        {
            reader.Invalid($"{path}.claim", "A test needs a sample \"claim\".");
        }

        AuthorizationFacts? authorization = null;
        if (element.TryGetProperty("authorization", out var authElement) && authElement.ValueKind != JsonValueKind.Null)
        {
            authorization = ReadAuthorization(authElement, $"{path}.authorization");
            ok &= authorization is not null;
        }

        RuleTestExpectation? expect = null;
        if (element.TryGetProperty("expect", out var expectElement))
        {
            expect = ReadExpect(expectElement, $"{path}.expect");
        }
        else
        {
            reader.Invalid($"{path}.expect", "A test needs an \"expect\".");
        }

        return ok && name is not null && claim is not null && expect is not null
            ? new RuleSetTestCase(name, claim, authorization, risk, expect, JsonSerializer.Serialize(element))
            : null;
    }

    private ClaimFacts? ReadClaim(JsonElement element, string path, out int? risk, ref bool ok)
    {
        risk = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            reader.Invalid(path, "A sample claim is an object of catalog fields, e.g. { \"payer.id\": \"BCBSMA\", \"items\": [...] }.");
            ok = false;
            return null;
        }

        var claim = new ClaimFacts();
        string? principal = null;
        var codes = ImmutableArray<string>.Empty;
        var before = ok;
        foreach (var property in element.EnumerateObject())
        {
            var p = $"{path}.{property.Name}";
            var v = property.Value;
            switch (property.Name)
            {
                case "items":
                    claim = claim with { Items = ReadItems(v, p, ref ok) };
                    break;
                case "claim.type": claim = claim with { Type = Text(v, p, ref ok) }; break;
                case "claim.use": claim = claim with { Use = Text(v, p, ref ok) }; break;
                case "claim.priority": claim = claim with { Priority = Text(v, p, ref ok) }; break;
                case "claim.submittedVia": claim = claim with { SubmittedVia = Text(v, p, ref ok) ?? "ehr_webhook" }; break;
                case "claim.total": claim = claim with { Total = Number(v, p, ref ok) }; break;
                case "claim.created": claim = claim with { Created = Date(v, p, ref ok) }; break;
                case "claim.serviceDate": claim = claim with { ServiceDate = Date(v, p, ref ok) }; break;
                case "claim.tags": claim = claim with { Tags = TextList(v, p, ref ok) }; break;
                case "patient.gender": claim = claim with { PatientGender = Text(v, p, ref ok) }; break;
                case "patient.birthDate": claim = claim with { PatientBirthDate = Date(v, p, ref ok) }; break;
                case "patient.state": claim = claim with { PatientState = Text(v, p, ref ok) }; break;
                case "payer.id": claim = claim with { PayerId = Text(v, p, ref ok) }; break;
                case "payer.name": claim = claim with { PayerName = Text(v, p, ref ok) }; break;
                case "coverage.memberId": claim = claim with { MemberId = Text(v, p, ref ok) }; break;
                case "provider.npi": claim = claim with { ProviderNpi = Text(v, p, ref ok) }; break;
                case "rendering.npi": claim = claim with { RenderingNpi = Text(v, p, ref ok) }; break;
                case "authorization.number":
                    claim = claim with { PreAuthRefs = Text(v, p, ref ok) is { } number ? [number] : [] };
                    break;
                case "diagnosis.principal": principal = Text(v, p, ref ok); break;
                case "diagnosis.codes": codes = TextList(v, p, ref ok); break;
                case "risk.score":
                    var score = Number(v, p, ref ok);
                    if (score is { } s && (s < 0 || s > 100 || s != decimal.Truncate(s)))
                    {
                        reader.Invalid(p, "risk.score is a whole number 0-100.", "value");
                        ok = false;
                    }
                    else
                    {
                        risk = (int?)score;
                    }

                    break;
                default:
                    var hint = FieldCatalog.TryGet(property.Name, out _)
                        ? property.Name switch
                        {
                            "patient.age" => "set patient.birthDate and claim.serviceDate instead",
                            "item.count" => "list the items instead",
                            _ when property.Name.StartsWith("item.", StringComparison.Ordinal) => "set it on the entries of \"items\"",
                            _ => "give the test an \"authorization\" object instead",
                        }
                        : "not a catalog field";
                    reader.Invalid(RuleSetReader.Join(path, property.Name), $"A sample claim cannot set \"{RuleSetReader.Short(property.Name)}\" ({hint}).");
                    ok = false;
                    break;
            }
        }

        var diagnoses = ImmutableArray.CreateBuilder<DiagnosisFacts>();
        if (principal is not null)
        {
            diagnoses.Add(new DiagnosisFacts(1, [principal]));
        }

        // Codes listed without a principal start at sequence 2, so a test can describe "no principal diagnosis".
        var sequence = 2;
        foreach (var code in codes)
        {
            if (!string.Equals(code, principal, StringComparison.OrdinalIgnoreCase))
            {
                diagnoses.Add(new DiagnosisFacts(sequence++, [code]));
            }
        }

        return ok && before ? claim with { Diagnoses = diagnoses.ToImmutable() } : null;
    }

    private ImmutableArray<ClaimItemFacts> ReadItems(JsonElement element, string path, ref bool ok)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            reader.Invalid(path, "\"items\" is an array of { cpt, modifiers, units, charge, placeOfService }.");
            ok = false;
            return [];
        }

        var items = ImmutableArray.CreateBuilder<ClaimItemFacts>();
        var index = 0;
        foreach (var itemElement in element.EnumerateArray())
        {
            var p = $"{path}[{index}]";
            index++;
            if (itemElement.ValueKind != JsonValueKind.Object)
            {
                reader.Invalid(p, "An item is an object { cpt, modifiers, units, charge, placeOfService }.");
                ok = false;
                continue;
            }

            var item = new ClaimItemFacts { Sequence = index };
            foreach (var property in itemElement.EnumerateObject())
            {
                var pp = $"{p}.{property.Name}";
                var v = property.Value;
                switch (property.Name)
                {
                    case "cpt": item = item with { Codes = TextList(v, pp, ref ok) }; break;
                    case "modifiers": item = item with { Modifiers = TextList(v, pp, ref ok) }; break;
                    case "placeOfService": item = item with { PlaceOfService = TextList(v, pp, ref ok) }; break;
                    case "units": item = item with { Units = Number(v, pp, ref ok) }; break;
                    case "charge": item = item with { Charge = Number(v, pp, ref ok) }; break;
                    case "serviceDate": item = item with { ServiceDate = Date(v, pp, ref ok) }; break;
                    default:
                        reader.Invalid(RuleSetReader.Join(p, property.Name), $"Unknown item property \"{RuleSetReader.Short(property.Name)}\" (expected {string.Join(", ", ItemProperties)}).");
                        ok = false;
                        break;
                }
            }

            items.Add(item);
        }

        return items.ToImmutable();
    }

    private AuthorizationFacts? ReadAuthorization(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            reader.Invalid(path, "\"authorization\" is an object { number, status, unitsAuthorized, unitsUsed, startDate, expirationDate }.");
            return null;
        }

        var ok = true;
        var auth = new AuthorizationFacts("TEST-AUTH", AuthorizationStatuses.Active, 0, 0, DateOnly.MinValue, DateOnly.MaxValue);
        foreach (var property in element.EnumerateObject())
        {
            var p = $"{path}.{property.Name}";
            var v = property.Value;
            switch (property.Name)
            {
                case "number": auth = auth with { Number = Text(v, p, ref ok) ?? auth.Number }; break;
                case "status":
                    var status = Text(v, p, ref ok);
                    if (status is not null && !AuthorizationStatuses.All.Contains(status, StringComparer.OrdinalIgnoreCase))
                    {
                        reader.Invalid(p, $"authorization.status is one of {string.Join(", ", AuthorizationStatuses.All)}.", "value");
                        ok = false;
                    }
                    else if (status is not null)
                    {
                        auth = auth with { Status = status.ToUpperInvariant() };
                    }

                    break;
                case "unitsAuthorized": auth = auth with { UnitsAuthorized = Number(v, p, ref ok) ?? 0 }; break;
                case "unitsUsed": auth = auth with { UnitsUsed = Number(v, p, ref ok) ?? 0 }; break;
                case "startDate": auth = auth with { StartDate = Date(v, p, ref ok) ?? DateOnly.MinValue }; break;
                case "expirationDate": auth = auth with { ExpirationDate = Date(v, p, ref ok) ?? DateOnly.MaxValue }; break;
                default:
                    reader.Invalid(RuleSetReader.Join(path, property.Name), $"Unknown authorization property \"{RuleSetReader.Short(property.Name)}\".");
                    ok = false;
                    break;
            }
        }

        return ok ? auth : null;
    }

    private RuleTestExpectation? ReadExpect(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            reader.Invalid(path, "\"expect\" is an object { outcome, heldBy, tags, tagsAbsent, fields }.");
            return null;
        }

        var ok = true;
        string? outcome = null;
        string? heldBy = null;
        var tags = ImmutableArray<string>.Empty;
        var tagsAbsent = ImmutableArray<string>.Empty;
        var fields = ImmutableArray.CreateBuilder<FieldExpectation>();
        foreach (var property in element.EnumerateObject())
        {
            var p = $"{path}.{property.Name}";
            var v = property.Value;
            switch (property.Name)
            {
                case "outcome":
                    outcome = Text(v, p, ref ok)?.ToUpperInvariant();
                    if (outcome is not null and not (RuleResult.Pass or RuleResult.Hold))
                    {
                        reader.Invalid(p, "\"outcome\" is PASS or HOLD.", "value");
                        ok = false;
                    }

                    break;
                case "heldBy":
                    heldBy = Text(v, p, ref ok);
                    if (heldBy is not null && !ruleIds.Contains(heldBy))
                    {
                        reader.Invalid(p, "\"heldBy\" names a rule of this rule set.", "value");
                        ok = false;
                    }

                    break;
                case "tags": tags = TextList(v, p, ref ok); break;
                case "tagsAbsent": tagsAbsent = TextList(v, p, ref ok); break;
                case "fields":
                    if (v.ValueKind != JsonValueKind.Object)
                    {
                        reader.Invalid(p, "\"fields\" is an object of catalog field → expected value.");
                        ok = false;
                        break;
                    }

                    foreach (var field in v.EnumerateObject())
                    {
                        var fp = RuleSetReader.Join(p, field.Name);
                        if (!FieldCatalog.TryGet(field.Name, out var info))
                        {
                            reader.Invalid(fp, $"Unknown field \"{RuleSetReader.Short(field.Name)}\".");
                            ok = false;
                            continue;
                        }

                        if (field.Value.ValueKind == JsonValueKind.Null)
                        {
                            fields.Add(new FieldExpectation(info.Name, null));
                        }
                        else if (ExpectedValue(field.Value, fp, info) is { } value)
                        {
                            fields.Add(new FieldExpectation(info.Name, value));
                        }
                        else
                        {
                            ok = false;
                        }
                    }

                    break;
                default:
                    reader.Invalid(RuleSetReader.Join(path, property.Name), $"Unknown expectation \"{RuleSetReader.Short(property.Name)}\" (expected outcome, heldBy, tags, tagsAbsent, fields).");
                    ok = false;
                    break;
            }
        }

        if (outcome is null && !element.TryGetProperty("outcome", out _))
        {
            reader.Invalid($"{path}.outcome", "\"expect\" needs an \"outcome\" (PASS or HOLD).");
            ok = false;
        }

        if (heldBy is not null && outcome == RuleResult.Pass)
        {
            reader.Invalid($"{path}.heldBy", "\"heldBy\" goes with outcome HOLD.", "value");
            ok = false;
        }

        return ok && outcome is not null
            ? new RuleTestExpectation(outcome, heldBy, tags, tagsAbsent, fields.ToImmutable())
            : null;
    }

    private RuleValue? ExpectedValue(JsonElement element, string path, FieldInfo field)
    {
        var ok = true;
        if (field.IsList)
        {
            if (element.ValueKind != JsonValueKind.Array)
            {
                reader.Invalid(path, $"{field.Name} is a list: expect an array.", "value");
                return null;
            }

            var items = ImmutableArray.CreateBuilder<RuleValue>();
            foreach (var item in element.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    items.Add(new TextValue(item.GetString()!));
                }
                else if (item.ValueKind == JsonValueKind.Number && field.Kind == FieldKind.Number)
                {
                    items.Add(new NumberValue(item.GetDecimal()));
                }
                else
                {
                    reader.Invalid(path, $"Unexpected value type for {field.Name}.", "value");
                    return null;
                }
            }

            return new ListValue(items.ToImmutable());
        }

        return field.Kind switch
        {
            FieldKind.Number => Number(element, path, ref ok) is { } n ? new NumberValue(n) : null,
            FieldKind.Date => Date(element, path, ref ok) is { } d ? new DateValue(d) : null,
            _ => Text(element, path, ref ok) is { } t ? new TextValue(t) : null,
        };
    }

    private string? Text(JsonElement element, string path, ref bool ok)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var text = reader.ReadString(element, path, "The value");
        ok &= text is not null;
        return text;
    }

    private decimal? Number(JsonElement element, string path, ref bool ok)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.Number && element.TryGetDecimal(out var number))
        {
            return number;
        }

        reader.Invalid(path, "The value is a number.", "value");
        ok = false;
        return null;
    }

    private DateOnly? Date(JsonElement element, string path, ref bool ok)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var date = reader.ReadDate(element, path);
        ok &= date is not null;
        return date;
    }

    private ImmutableArray<string> TextList(JsonElement element, string path, ref bool ok)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            return [element.GetString()!];
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            reader.Invalid(path, "The value is an array of strings.", "value");
            ok = false;
            return [];
        }

        var builder = ImmutableArray.CreateBuilder<string>();
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (reader.ReadString(item, $"{path}[{i++}]", "A list entry") is { } text)
            {
                builder.Add(text);
            }
            else
            {
                ok = false;
            }
        }

        return builder.ToImmutable();
    }
}
