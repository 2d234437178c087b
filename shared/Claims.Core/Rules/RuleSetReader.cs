using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Claims.Core.Fhir;

namespace Claims.Core.Rules;

/// <summary>
/// Reads a rule-set document and validates it in the same pass, collecting every problem with its JSON path.
/// A rule or test with problems is kept as unreadable (its minified JSON), so a stored document can still be loaded.
/// </summary>
internal sealed partial class RuleSetReader
{
    internal const int MaxJsonDepth = 256;
    internal static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxJsonDepth };

    private readonly RuleSetDocument? _previous;
    private List<OutcomeIssue> _issues = [];

    private RuleSetReader(RuleSetDocument? previous) => _previous = previous;

    public static RuleSetParseResult Read(ReadOnlySpan<byte> json, RuleSetDocument? previous)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), DocumentOptions);
        }
        catch (JsonException ex)
        {
            // The parser's message can quote the offending text; report the position only.
            return new RuleSetParseResult(null, [OutcomeIssue.Error(
                "structure",
                $"The rule set is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).")]);
        }

        using (document)
        {
            return new RuleSetReader(previous).ReadRoot(document.RootElement);
        }
    }

    private RuleSetParseResult ReadRoot(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new RuleSetParseResult(null, [OutcomeIssue.Error("structure", "A rule set is a JSON object with a \"rules\" array.")]);
        }

        string? version = null;
        var rules = ImmutableArray<RuleEntry>.Empty;
        var tests = ImmutableArray<RuleSetTestCase>.Empty;
        JsonElement? testsElement = null;
        var sawRules = false;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "version":
                    if (property.Value.ValueKind == JsonValueKind.String)
                    {
                        version = property.Value.GetString();
                    }
                    else if (property.Value.ValueKind != JsonValueKind.Null)
                    {
                        Invalid("version", "\"version\" is a string (it is read-only and set by the server).", "value");
                    }

                    break;
                case "rules":
                    sawRules = true;
                    rules = ReadRules(property.Value);
                    break;
                case "tests":
                    testsElement = property.Value;
                    break;
                default:
                    Invalid(Quote(property.Name), $"Unknown property \"{Short(property.Name)}\" (expected version, rules, tests).");
                    break;
            }
        }

        if (!sawRules)
        {
            Invalid("rules", "A rule set needs a \"rules\" array (it may be empty).");
        }

        if (testsElement is { } testsValue)
        {
            var ruleIds = rules.Select(r => r.Id).OfType<string>().ToHashSet(StringComparer.Ordinal);
            tests = new TestCaseReader(this, ruleIds).ReadTests(testsValue);
        }

        return new RuleSetParseResult(new RuleSetDocument(version, rules, tests), _issues);
    }

    private ImmutableArray<RuleEntry> ReadRules(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            Invalid("rules", "\"rules\" is an array of rules.");
            return [];
        }

        var rules = ImmutableArray.CreateBuilder<RuleEntry>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        foreach (var ruleElement in element.EnumerateArray())
        {
            var path = $"rules[{index}]";
            var outer = _issues;
            _issues = [];
            var rule = ReadRule(ruleElement, path);
            var ruleIssues = _issues;
            _issues = outer;

            var id = rule?.Id ?? TryReadId(ruleElement);
            if (id is not null)
            {
                if (seen.TryGetValue(id, out var first))
                {
                    ruleIssues.Add(OutcomeIssue.Error("invalid", $"Duplicate rule id (also used by rules[{first}]).", $"{path}.id"));
                }
                else
                {
                    seen[id] = index;
                }
            }

            if (ruleIssues.Count == 0 && rule is not null)
            {
                rules.Add(rule);
            }
            else
            {
                var raw = JsonSerializer.Serialize(ruleElement);
                var keptFromBefore = _previous?.Rules.OfType<UnreadableRule>().Any(u => u.RawJson == raw) == true;
                if (!keptFromBefore)
                {
                    _issues.AddRange(ruleIssues);
                }

                var problem = ruleIssues.Count == 0 ? "The rule could not be read." : $"{ruleIssues[0].Diagnostics} ({ruleIssues[0].Expression})";
                rules.Add(new UnreadableRule(id, raw, problem));
            }

            index++;
        }

        return rules.ToImmutable();
    }

    private static string? TryReadId(JsonElement rule) =>
        rule.ValueKind == JsonValueKind.Object && rule.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()
            : null;

    private RuleDefinition? ReadRule(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            Invalid(path, "A rule is a JSON object.");
            return null;
        }

        string? id = null;
        string? name = null;
        string? description = null;
        var enabled = true;
        DateOnly? from = null;
        DateOnly? to = null;
        var ok = true;
        foreach (var property in element.EnumerateObject())
        {
            var propertyPath = $"{path}.{property.Name}";
            switch (property.Name)
            {
                case "id":
                    id = ReadString(property.Value, propertyPath, "A rule id");
                    if (id is not null && !RuleIdPattern().IsMatch(id))
                    {
                        Invalid(propertyPath, "A rule id is 1-64 letters, digits, '.', '_' or '-'.");
                        id = null;
                    }

                    ok &= id is not null;
                    break;
                case "name":
                    name = ReadOptionalString(property.Value, propertyPath, ref ok);
                    break;
                case "description":
                    description = ReadOptionalString(property.Value, propertyPath, ref ok);
                    break;
                case "enabled":
                    if (property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    {
                        enabled = property.Value.GetBoolean();
                    }
                    else
                    {
                        Invalid(propertyPath, "\"enabled\" is true or false.", "value");
                        ok = false;
                    }

                    break;
                case "effectiveFrom":
                    from = ReadDate(property.Value, propertyPath);
                    ok &= from is not null;
                    break;
                case "effectiveTo":
                    to = ReadDate(property.Value, propertyPath);
                    ok &= to is not null;
                    break;
                case "if" or "then" or "elseIf" or "else":
                    break;
                default:
                    Invalid(Join(path, property.Name), $"Unknown rule property \"{Short(property.Name)}\".");
                    ok = false;
                    break;
            }
        }

        if (!element.TryGetProperty("id", out _))
        {
            Invalid($"{path}.id", "A rule needs an \"id\".");
            ok = false;
        }

        if (from is { } f && to is { } t && f > t)
        {
            Invalid($"{path}.effectiveTo", "\"effectiveTo\" is before \"effectiveFrom\".", "value");
            ok = false;
        }

        var body = ReadConditional(element, path);
        return ok && body is not null && id is not null
            ? new RuleDefinition(id, name, description, enabled, from, to, body.If, body.Then, body.ElseIf, body.Else)
            : null;
    }

    /// <summary>Reads the if/then/elseIf/else members of a rule or nested outcome (other members are checked by the caller).</summary>
    private ConditionalOutcome? ReadConditional(JsonElement element, string path)
    {
        RuleCondition? condition = null;
        RuleOutcome? then = null;
        if (element.TryGetProperty("if", out var ifElement))
        {
            condition = ReadCondition(ifElement, $"{path}.if");
        }
        else
        {
            Invalid($"{path}.if", "Missing \"if\" condition (use { \"always\": true } for an unconditional rule).");
        }

        if (element.TryGetProperty("then", out var thenElement))
        {
            then = ReadOutcome(thenElement, $"{path}.then");
        }
        else
        {
            Invalid($"{path}.then", "Missing \"then\" outcome.");
        }

        var ok = condition is not null && then is not null;
        var elseIfs = ImmutableArray<ElseIfBranch>.Empty;
        if (element.TryGetProperty("elseIf", out var elseIfElement))
        {
            if (elseIfElement.ValueKind != JsonValueKind.Array)
            {
                Invalid($"{path}.elseIf", "\"elseIf\" is an array of { \"if\", \"then\" }.");
                ok = false;
            }
            else
            {
                var builder = ImmutableArray.CreateBuilder<ElseIfBranch>();
                var i = 0;
                foreach (var branch in elseIfElement.EnumerateArray())
                {
                    var branchPath = $"{path}.elseIf[{i++}]";
                    if (branch.ValueKind != JsonValueKind.Object)
                    {
                        Invalid(branchPath, "An elseIf entry is an object with \"if\" and \"then\".");
                        ok = false;
                        continue;
                    }

                    foreach (var property in branch.EnumerateObject())
                    {
                        if (property.Name is not ("if" or "then"))
                        {
                            Invalid(Join(branchPath, property.Name), $"Unknown elseIf property \"{Short(property.Name)}\".");
                            ok = false;
                        }
                    }

                    var body = ReadIfThen(branch, branchPath);
                    if (body is null)
                    {
                        ok = false;
                    }
                    else
                    {
                        builder.Add(new ElseIfBranch(body.If, body.Then));
                    }
                }

                elseIfs = builder.ToImmutable();
            }
        }

        RuleOutcome? elseOutcome = null;
        if (element.TryGetProperty("else", out var elseElement))
        {
            elseOutcome = ReadOutcome(elseElement, $"{path}.else");
            ok &= elseOutcome is not null;
        }

        return ok ? new ConditionalOutcome(condition!, then!, elseIfs, elseOutcome) : null;
    }

    /// <summary>Reads the if/then pair of an elseIf entry.</summary>
    private ConditionalOutcome? ReadIfThen(JsonElement element, string path)
    {
        RuleCondition? condition = null;
        RuleOutcome? then = null;
        if (element.TryGetProperty("if", out var ifElement))
        {
            condition = ReadCondition(ifElement, $"{path}.if");
        }
        else
        {
            Invalid($"{path}.if", "Missing \"if\" condition.");
        }

        if (element.TryGetProperty("then", out var thenElement))
        {
            then = ReadOutcome(thenElement, $"{path}.then");
        }
        else
        {
            Invalid($"{path}.then", "Missing \"then\" outcome.");
        }

        return condition is not null && then is not null ? new ConditionalOutcome(condition, then, [], null) : null;
    }

    private RuleOutcome? ReadOutcome(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            Invalid(path, "An outcome is an object: { \"actions\": [...] } or { \"if\", \"then\", \"elseIf\", \"else\" }.");
            return null;
        }

        if (element.TryGetProperty("actions", out var actions))
        {
            var ok = true;
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name != "actions")
                {
                    Invalid(Join(path, property.Name), $"An outcome with \"actions\" has no other properties (found \"{Short(property.Name)}\").");
                    ok = false;
                }
            }

            var list = ReadActions(actions, $"{path}.actions");
            return ok && list is { } l ? new ActionsOutcome(l) : null;
        }

        var isConditional = false;
        var known = true;
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name is "if" or "then" or "elseIf" or "else")
            {
                isConditional = true;
            }
            else
            {
                Invalid(Join(path, property.Name), $"Unknown outcome property \"{Short(property.Name)}\".");
                known = false;
            }
        }

        if (!isConditional)
        {
            if (known)
            {
                Invalid(path, "An outcome needs \"actions\" or \"if\"/\"then\".");
            }

            return null;
        }

        var body = ReadConditional(element, path);
        return known ? body : null;
    }

    private ImmutableArray<RuleAction>? ReadActions(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            Invalid(path, "\"actions\" is an array.");
            return null;
        }

        var builder = ImmutableArray.CreateBuilder<RuleAction>();
        var ok = true;
        var i = 0;
        foreach (var actionElement in element.EnumerateArray())
        {
            var action = ReadAction(actionElement, $"{path}[{i++}]");
            if (action is null)
            {
                ok = false;
            }
            else
            {
                builder.Add(action);
            }
        }

        return ok ? builder.ToImmutable() : null;
    }

    private RuleAction? ReadAction(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            Invalid(path, "An action is an object such as { \"applyTag\": \"needs-review\" }.");
            return null;
        }

        string? kind = null;
        var ok = true;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "setField" or "addModifier" or "applyTag" or "removeTag" or "hold":
                    if (kind is not null)
                    {
                        Invalid(Join(path, property.Name), $"An action does one thing (found \"{kind}\" and \"{property.Name}\").");
                        ok = false;
                    }

                    kind ??= property.Name;
                    break;
                case "value" or "forCpt":
                    break;
                default:
                    Invalid(Join(path, property.Name), $"Unknown action \"{Short(property.Name)}\" (expected setField, addModifier, applyTag, removeTag or hold).");
                    ok = false;
                    break;
            }
        }

        if (kind is null)
        {
            if (ok)
            {
                Invalid(path, "Empty action (expected setField, addModifier, applyTag, removeTag or hold).");
            }

            return null;
        }

        if (element.TryGetProperty("value", out _) && kind != "setField")
        {
            Invalid($"{path}.value", "\"value\" belongs to setField only.");
            ok = false;
        }

        if (element.TryGetProperty("forCpt", out _) && kind != "addModifier")
        {
            Invalid($"{path}.forCpt", "\"forCpt\" belongs to addModifier only.");
            ok = false;
        }

        var value = element.GetProperty(kind);
        var valuePath = $"{path}.{kind}";
        RuleAction? action = kind switch
        {
            "setField" => ReadSetField(element, value, path),
            "addModifier" => ReadAddModifier(element, value, path),
            "applyTag" => ReadTag(value, valuePath) is { } tag
                ? (string.Equals(tag, RuleSetDocument.HoldTag, StringComparison.OrdinalIgnoreCase) ? new HoldAction(null) : new ApplyTagAction(tag))
                : null,
            "removeTag" => ReadRemoveTag(value, valuePath),
            _ => ReadHold(value, valuePath),
        };
        return ok ? action : null;
    }

    private SetFieldAction? ReadSetField(JsonElement action, JsonElement fieldElement, string path)
    {
        var fieldName = ReadString(fieldElement, $"{path}.setField", "setField");
        if (fieldName is null)
        {
            return null;
        }

        if (!FieldCatalog.TryGet(fieldName, out var field))
        {
            Invalid($"{path}.setField", $"Unknown field \"{Short(fieldName)}\".");
            return null;
        }

        if (!field.Writable)
        {
            Invalid($"{path}.setField", $"\"{field.Name}\" is not writable (writable: claim.priority, payer.id, payer.name, provider.npi, rendering.npi, item.placeOfService).");
            return null;
        }

        if (!action.TryGetProperty("value", out var valueElement))
        {
            Invalid($"{path}.value", "setField needs a \"value\".");
            return null;
        }

        var valuePath = $"{path}.value";
        if (field.IsList)
        {
            if (valueElement.ValueKind == JsonValueKind.String)
            {
                return ReadCode(valueElement, valuePath) is { } single
                    ? new SetFieldAction(field.Name, new ListValue([new TextValue(single)]))
                    : null;
            }

            if (valueElement.ValueKind != JsonValueKind.Array || valueElement.GetArrayLength() == 0)
            {
                Invalid(valuePath, $"\"{field.Name}\" is set to a code or a non-empty array of codes.", "value");
                return null;
            }

            var items = ImmutableArray.CreateBuilder<RuleValue>();
            var i = 0;
            foreach (var item in valueElement.EnumerateArray())
            {
                if (ReadCode(item, $"{valuePath}[{i++}]") is { } code)
                {
                    items.Add(new TextValue(code));
                }
            }

            return items.Count == valueElement.GetArrayLength() ? new SetFieldAction(field.Name, new ListValue(items.ToImmutable())) : null;
        }

        var text = ReadCode(valueElement, valuePath);
        if (text is null)
        {
            return null;
        }

        if (field.Name == "claim.priority" && !FieldCatalog.ClaimPriorities.Contains(text, StringComparer.OrdinalIgnoreCase))
        {
            Invalid(valuePath, "claim.priority is one of stat, normal, deferred.", "value");
            return null;
        }

        return new SetFieldAction(field.Name, new TextValue(text));
    }

    private AddModifierAction? ReadAddModifier(JsonElement action, JsonElement modifierElement, string path)
    {
        var modifier = ReadString(modifierElement, $"{path}.addModifier", "addModifier");
        var ok = true;
        if (modifier is not null && !ModifierPattern().IsMatch(modifier))
        {
            Invalid($"{path}.addModifier", "A modifier is two letters or digits (e.g. 95, GT, HO).", "value");
            ok = false;
        }

        var forCpt = ImmutableArray<string>.Empty;
        if (action.TryGetProperty("forCpt", out var forCptElement))
        {
            if (forCptElement.ValueKind != JsonValueKind.Array || forCptElement.GetArrayLength() == 0)
            {
                Invalid($"{path}.forCpt", "\"forCpt\" is a non-empty array of codes (leave it out for all items).", "value");
                ok = false;
            }
            else
            {
                var builder = ImmutableArray.CreateBuilder<string>();
                var i = 0;
                foreach (var code in forCptElement.EnumerateArray())
                {
                    if (ReadCode(code, $"{path}.forCpt[{i++}]") is { } c)
                    {
                        builder.Add(c);
                    }
                    else
                    {
                        ok = false;
                    }
                }

                forCpt = builder.ToImmutable();
            }
        }

        return ok && modifier is not null ? new AddModifierAction(modifier, forCpt) : null;
    }

    private string? ReadTag(JsonElement element, string path)
    {
        var tag = ReadString(element, path, "A tag")?.Trim();
        if (tag is null)
        {
            return null;
        }

        if (tag.Length is 0 or > 64)
        {
            Invalid(path, "A tag is 1-64 characters (trimmed).", "value");
            return null;
        }

        return tag;
    }

    private RemoveTagAction? ReadRemoveTag(JsonElement element, string path)
    {
        var tag = ReadTag(element, path);
        if (tag is not null && string.Equals(tag, RuleSetDocument.HoldTag, StringComparison.OrdinalIgnoreCase))
        {
            Invalid(path, "Rules cannot remove the Hold tag; a held claim is released through the review queue.", "value");
            return null;
        }

        return tag is null ? null : new RemoveTagAction(tag);
    }

    private HoldAction? ReadHold(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            Invalid(path, "\"hold\" takes the reason as a string.", "value");
            return null;
        }

        var reason = element.GetString()!.Trim();
        if (reason.Length > 500)
        {
            Invalid(path, "A hold reason is at most 500 characters.", "value");
            return null;
        }

        return new HoldAction(reason.Length == 0 ? null : reason);
    }

    private RuleCondition? ReadCondition(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            Invalid(path, "A condition is an object: always, field/op/value, and, or, not.");
            return null;
        }

        string? form = null;
        var ok = true;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "always" or "field" or "and" or "or" or "not":
                    if (form is not null)
                    {
                        Invalid(Join(path, property.Name), $"A condition has one form (found \"{form}\" and \"{property.Name}\"); group them with \"and\" or \"or\".");
                        ok = false;
                    }

                    form ??= property.Name;
                    break;
                case "op" or "value":
                    break;
                default:
                    Invalid(Join(path, property.Name), $"Unknown condition property \"{Short(property.Name)}\".");
                    ok = false;
                    break;
            }
        }

        if (form is null)
        {
            if (ok)
            {
                Invalid(path, "Empty condition (expected always, field/op/value, and, or, not).");
            }

            return null;
        }

        if (form != "field" && (element.TryGetProperty("op", out _) || element.TryGetProperty("value", out _)))
        {
            Invalid(path, "\"op\" and \"value\" belong to a field condition.");
            ok = false;
        }

        var value = element.GetProperty(form);
        RuleCondition? condition;
        switch (form)
        {
            case "always":
                condition = value.ValueKind == JsonValueKind.True ? new AlwaysCondition() : null;
                if (condition is null)
                {
                    Invalid($"{path}.always", "\"always\" is true (use { \"not\": { \"always\": true } } for never).", "value");
                }

                break;
            case "not":
                condition = ReadCondition(value, $"{path}.not") is { } inner ? new NotCondition(inner) : null;
                break;
            case "and" or "or":
                condition = ReadGroup(value, $"{path}.{form}", form);
                break;
            default:
                condition = ReadFieldCondition(element, value, path);
                break;
        }

        return ok ? condition : null;
    }

    private RuleCondition? ReadGroup(JsonElement element, string path, string form)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
        {
            Invalid(path, $"\"{form}\" is a non-empty array of conditions.");
            return null;
        }

        var builder = ImmutableArray.CreateBuilder<RuleCondition>();
        var ok = true;
        var i = 0;
        foreach (var child in element.EnumerateArray())
        {
            if (ReadCondition(child, $"{path}[{i++}]") is { } condition)
            {
                builder.Add(condition);
            }
            else
            {
                ok = false;
            }
        }

        if (!ok)
        {
            return null;
        }

        return form == "and" ? new AndCondition(builder.ToImmutable()) : new OrCondition(builder.ToImmutable());
    }

    private FieldCondition? ReadFieldCondition(JsonElement condition, JsonElement fieldElement, string path)
    {
        var fieldName = ReadString(fieldElement, $"{path}.field", "\"field\"");
        FieldInfo? field = null;
        if (fieldName is not null && !FieldCatalog.TryGet(fieldName, out field))
        {
            Invalid($"{path}.field", $"Unknown field \"{Short(fieldName)}\".");
        }

        if (!condition.TryGetProperty("op", out var opElement))
        {
            Invalid($"{path}.op", "A field condition needs an \"op\".");
            return null;
        }

        var opName = ReadString(opElement, $"{path}.op", "\"op\"");
        if (opName is null)
        {
            return null;
        }

        if (!Operators.TryGetValue(opName, out var op))
        {
            Invalid($"{path}.op", $"Unknown operator \"{Short(opName)}\" (expected {string.Join(", ", Operators.Keys)}).");
            return null;
        }

        if (field is null)
        {
            return null;
        }

        if (!Fits(field, op))
        {
            Invalid($"{path}.op", $"\"{opName}\" does not fit {field.Name} ({field.TypeName}).");
            return null;
        }

        var hasValue = condition.TryGetProperty("value", out var valueElement);
        var valuePath = $"{path}.value";
        if (op is RuleOperator.Exists or RuleOperator.Missing)
        {
            if (hasValue)
            {
                Invalid(valuePath, $"\"{opName}\" takes no value.", "value");
                return null;
            }

            return new FieldCondition(field.Name, op, null);
        }

        if (!hasValue)
        {
            Invalid(valuePath, $"\"{opName}\" needs a \"value\".");
            return null;
        }

        RuleValue? value;
        switch (op)
        {
            case RuleOperator.In or RuleOperator.NotIn:
                value = ReadList(valueElement, valuePath, field, exactCount: null);
                break;
            case RuleOperator.Between:
                value = ReadList(valueElement, valuePath, field, exactCount: 2);
                if (value is ListValue { Items: [var low, var high] } && Compare(low, high) > 0)
                {
                    Invalid(valuePath, "\"between\" needs [low, high] with low <= high.", "value");
                    value = null;
                }

                break;
            case RuleOperator.Matches:
                value = ReadScalar(valueElement, valuePath, field);
                if (value is TextValue pattern && !RegexCompiles(pattern.Text))
                {
                    Invalid(valuePath, "The regular expression does not compile.", "value");
                    value = null;
                }

                break;
            default:
                value = ReadScalar(valueElement, valuePath, field);
                if (value is TextValue text && field.AllowedCodes is { } allowed
                    && op is RuleOperator.Eq or RuleOperator.Neq
                    && !allowed.Contains(text.Text, StringComparer.OrdinalIgnoreCase))
                {
                    Invalid(valuePath, $"{field.Name} is one of {string.Join(", ", allowed)}.", "value");
                    value = null;
                }

                break;
        }

        return value is null ? null : new FieldCondition(field.Name, op, value);
    }

    private ListValue? ReadList(JsonElement element, string path, FieldInfo field, int? exactCount)
    {
        if (element.ValueKind != JsonValueKind.Array
            || (exactCount is { } n ? element.GetArrayLength() != n : element.GetArrayLength() == 0))
        {
            Invalid(path, exactCount is null ? "The value is a non-empty array." : "\"between\" needs an array [low, high].", "value");
            return null;
        }

        var builder = ImmutableArray.CreateBuilder<RuleValue>();
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            var itemPath = $"{path}[{i++}]";
            var value = ReadScalar(item, itemPath, field);
            if (value is TextValue text && field.AllowedCodes is { } allowed && !allowed.Contains(text.Text, StringComparer.OrdinalIgnoreCase))
            {
                Invalid(itemPath, $"{field.Name} is one of {string.Join(", ", allowed)}.", "value");
                value = null;
            }

            if (value is not null)
            {
                builder.Add(value);
            }
        }

        return builder.Count == element.GetArrayLength() ? new ListValue(builder.ToImmutable()) : null;
    }

    private RuleValue? ReadScalar(JsonElement element, string path, FieldInfo field)
    {
        switch (field.Kind)
        {
            case FieldKind.Number:
                if (element.ValueKind == JsonValueKind.Number && element.TryGetDecimal(out var number))
                {
                    return new NumberValue(number);
                }

                Invalid(path, $"{field.Name} compares with a number.", "value");
                return null;
            case FieldKind.Date:
                return ReadDate(element, path) is { } date ? new DateValue(date) : null;
            default:
                if (element.ValueKind == JsonValueKind.String)
                {
                    return new TextValue(element.GetString()!);
                }

                Invalid(path, $"{field.Name} compares with a string.", "value");
                return null;
        }
    }

    internal static bool Fits(FieldInfo field, RuleOperator op) => op switch
    {
        RuleOperator.Eq or RuleOperator.Neq or RuleOperator.In or RuleOperator.NotIn or RuleOperator.Exists or RuleOperator.Missing => true,
        RuleOperator.Gt or RuleOperator.Gte or RuleOperator.Lt or RuleOperator.Lte or RuleOperator.Between => field.Kind != FieldKind.Text,
        _ => field.Kind == FieldKind.Text,
    };

    internal static int Compare(RuleValue a, RuleValue b) => (a, b) switch
    {
        (NumberValue x, NumberValue y) => x.Number.CompareTo(y.Number),
        (DateValue x, DateValue y) => x.Date.CompareTo(y.Date),
        (TextValue x, TextValue y) => string.Compare(x.Text, y.Text, StringComparison.OrdinalIgnoreCase),
        _ => 0,
    };

    private static bool RegexCompiles(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, RegexTimeout);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    internal DateOnly? ReadDate(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String
            && DateOnly.TryParseExact(element.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        Invalid(path, "A date is a string yyyy-MM-dd.", "value");
        return null;
    }

    internal string? ReadString(JsonElement element, string path, string what)
    {
        if (element.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(element.GetString()))
        {
            return element.GetString();
        }

        Invalid(path, $"{what} is a non-empty string.", "value");
        return null;
    }

    /// <summary>A non-empty string without surrounding spaces (codes, ids, NPIs).</summary>
    internal string? ReadCode(JsonElement element, string path)
    {
        var text = ReadString(element, path, "The value")?.Trim();
        if (text is { Length: > 200 })
        {
            Invalid(path, "The value is at most 200 characters.", "value");
            return null;
        }

        return text;
    }

    private string? ReadOptionalString(JsonElement element, string path, ref bool ok)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            return element.GetString();
        }

        Invalid(path, "The value is a string.", "value");
        ok = false;
        return null;
    }

    /// <summary>Runs <paramref name="read"/> and returns the issues it raised, which are also kept in the document's list.</summary>
    internal List<OutcomeIssue> CaptureIssues<T>(Func<T?> read, out T? value)
        where T : class
    {
        var start = _issues.Count;
        value = read();
        return _issues.GetRange(start, _issues.Count - start);
    }

    /// <summary>True when the previous version held this exact JSON as an unreadable test, so saving it again is allowed.</summary>
    internal bool WasUnreadableTest(string raw) =>
        _previous?.Tests.Any(t => t.Problem is not null && t.RawJson == raw) == true;

    internal void DropLastIssues(int count) => _issues.RemoveRange(_issues.Count - count, count);

    internal void Invalid(string path, string diagnostics, string code = "invalid") =>
        _issues.Add(OutcomeIssue.Error(code, diagnostics, path));

    internal static string Join(string path, string property) =>
        SimpleName().IsMatch(property) ? $"{path}.{property}" : $"{path}[{Quote(property)}]";

    private static string Quote(string name) => SimpleName().IsMatch(name) ? name : $"'{Short(name).Replace("'", "\\'", StringComparison.Ordinal)}'";

    internal static string Short(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "…");

    internal static readonly IReadOnlyDictionary<string, RuleOperator> Operators = new Dictionary<string, RuleOperator>(StringComparer.Ordinal)
    {
        ["eq"] = RuleOperator.Eq,
        ["neq"] = RuleOperator.Neq,
        ["in"] = RuleOperator.In,
        ["notIn"] = RuleOperator.NotIn,
        ["gt"] = RuleOperator.Gt,
        ["gte"] = RuleOperator.Gte,
        ["lt"] = RuleOperator.Lt,
        ["lte"] = RuleOperator.Lte,
        ["between"] = RuleOperator.Between,
        ["contains"] = RuleOperator.Contains,
        ["startsWith"] = RuleOperator.StartsWith,
        ["endsWith"] = RuleOperator.EndsWith,
        ["matches"] = RuleOperator.Matches,
        ["exists"] = RuleOperator.Exists,
        ["missing"] = RuleOperator.Missing,
    };

    internal static string OperatorName(RuleOperator op) => op switch
    {
        RuleOperator.NotIn => "notIn",
        RuleOperator.StartsWith => "startsWith",
        RuleOperator.EndsWith => "endsWith",
        _ => op.ToString().ToLowerInvariant(),
    };

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex RuleIdPattern();

    [GeneratedRegex("^[A-Za-z0-9]{2}$")]
    private static partial Regex ModifierPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.]*$")]
    private static partial Regex SimpleName();
}
