using System.Globalization;
using System.Text.Json;

namespace Claims.Core.Rules;

/// <summary>Writes a <see cref="RuleSetDocument"/> in the same JSON shape <see cref="RuleSetReader"/> reads.</summary>
internal static class RuleSetWriter
{
    public static void Write(Utf8JsonWriter writer, RuleSetDocument document, string version)
    {
        writer.WriteStartObject();
        writer.WriteString("version", version);
        writer.WriteStartArray("rules");
        foreach (var rule in document.Rules)
        {
            switch (rule)
            {
                case RuleDefinition definition:
                    WriteRule(writer, definition);
                    break;
                case UnreadableRule unreadable:
                    writer.WriteRawValue(unreadable.RawJson);
                    break;
            }
        }

        writer.WriteEndArray();
        if (document.Tests.Count > 0)
        {
            // Tests are sample data rather than logic: they are written as they were read (minified).
            writer.WriteStartArray("tests");
            foreach (var test in document.Tests)
            {
                writer.WriteRawValue(test.RawJson);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteRule(Utf8JsonWriter writer, RuleDefinition rule)
    {
        writer.WriteStartObject();
        writer.WriteString("id", rule.RuleId);
        if (rule.Name is not null)
        {
            writer.WriteString("name", rule.Name);
        }

        if (rule.Description is not null)
        {
            writer.WriteString("description", rule.Description);
        }

        writer.WriteBoolean("enabled", rule.Enabled);
        if (rule.EffectiveFrom is { } from)
        {
            writer.WriteString("effectiveFrom", Date(from));
        }

        if (rule.EffectiveTo is { } to)
        {
            writer.WriteString("effectiveTo", Date(to));
        }

        WriteConditionalMembers(writer, rule.Body);
        writer.WriteEndObject();
    }

    private static void WriteConditionalMembers(Utf8JsonWriter writer, ConditionalOutcome outcome)
    {
        writer.WritePropertyName("if");
        WriteCondition(writer, outcome.If);
        writer.WritePropertyName("then");
        WriteOutcome(writer, outcome.Then);
        if (!outcome.ElseIf.IsDefaultOrEmpty)
        {
            writer.WriteStartArray("elseIf");
            foreach (var branch in outcome.ElseIf)
            {
                writer.WriteStartObject();
                writer.WritePropertyName("if");
                WriteCondition(writer, branch.If);
                writer.WritePropertyName("then");
                WriteOutcome(writer, branch.Then);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (outcome.Else is not null)
        {
            writer.WritePropertyName("else");
            WriteOutcome(writer, outcome.Else);
        }
    }

    private static void WriteOutcome(Utf8JsonWriter writer, RuleOutcome outcome)
    {
        writer.WriteStartObject();
        switch (outcome)
        {
            case ActionsOutcome actions:
                writer.WriteStartArray("actions");
                foreach (var action in actions.Actions)
                {
                    WriteAction(writer, action);
                }

                writer.WriteEndArray();
                break;
            case ConditionalOutcome conditional:
                WriteConditionalMembers(writer, conditional);
                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteAction(Utf8JsonWriter writer, RuleAction action)
    {
        writer.WriteStartObject();
        switch (action)
        {
            case SetFieldAction set:
                writer.WriteString("setField", set.Field);
                writer.WritePropertyName("value");
                WriteValue(writer, set.Value);
                break;
            case AddModifierAction add:
                writer.WriteString("addModifier", add.Modifier);
                if (!add.ForCpt.IsDefaultOrEmpty)
                {
                    writer.WriteStartArray("forCpt");
                    foreach (var code in add.ForCpt)
                    {
                        writer.WriteStringValue(code);
                    }

                    writer.WriteEndArray();
                }

                break;
            case ApplyTagAction apply:
                writer.WriteString("applyTag", apply.Tag);
                break;
            case RemoveTagAction remove:
                writer.WriteString("removeTag", remove.Tag);
                break;
            case HoldAction { Reason: null }:
                writer.WriteString("applyTag", RuleSetDocument.HoldTag);
                break;
            case HoldAction hold:
                writer.WriteString("hold", hold.Reason);
                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteCondition(Utf8JsonWriter writer, RuleCondition condition)
    {
        writer.WriteStartObject();
        switch (condition)
        {
            case AlwaysCondition:
                writer.WriteBoolean("always", true);
                break;
            case FieldCondition field:
                writer.WriteString("field", field.Field);
                writer.WriteString("op", RuleSetReader.OperatorName(field.Op));
                if (field.Value is not null)
                {
                    writer.WritePropertyName("value");
                    WriteValue(writer, field.Value);
                }

                break;
            case AndCondition and:
                WriteGroup(writer, "and", and.Conditions);
                break;
            case OrCondition or:
                WriteGroup(writer, "or", or.Conditions);
                break;
            case NotCondition not:
                writer.WritePropertyName("not");
                WriteCondition(writer, not.Condition);
                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteGroup(Utf8JsonWriter writer, string name, IEnumerable<RuleCondition> conditions)
    {
        writer.WriteStartArray(name);
        foreach (var condition in conditions)
        {
            WriteCondition(writer, condition);
        }

        writer.WriteEndArray();
    }

    internal static void WriteValue(Utf8JsonWriter writer, RuleValue value)
    {
        switch (value)
        {
            case TextValue text:
                writer.WriteStringValue(text.Text);
                break;
            case NumberValue number:
                writer.WriteNumberValue(number.Number);
                break;
            case DateValue date:
                writer.WriteStringValue(Date(date.Date));
                break;
            case ListValue list:
                writer.WriteStartArray();
                foreach (var item in list.Items)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
        }
    }

    internal static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
