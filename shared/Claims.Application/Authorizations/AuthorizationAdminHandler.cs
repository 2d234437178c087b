using System.Globalization;
using Azure;
using Claims.Application.Audit;
using Claims.Core.Authorizations;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Storage;

namespace Claims.Application.Authorizations;

/// <summary>What an authorization admin call came to; the function maps it to HTTP.</summary>
public abstract record AuthorizationOutcome
{
    private AuthorizationOutcome()
    {
    }

    public sealed record Found(StoredAuthorization Authorization) : AuthorizationOutcome;

    public sealed record Created(StoredAuthorization Authorization) : AuthorizationOutcome;

    public sealed record Deleted : AuthorizationOutcome;

    public sealed record Invalid(IReadOnlyList<OutcomeIssue> Issues) : AuthorizationOutcome;

    public sealed record NotFound : AuthorizationOutcome;

    /// <summary>The number is taken (POST) or the body's number differs from the route's (PUT).</summary>
    public sealed record Conflict(string Diagnostics) : AuthorizationOutcome;

    public sealed record PreconditionRequired : AuthorizationOutcome;

    public sealed record PreconditionFailed : AuthorizationOutcome;
}

/// <summary>
/// POST/GET/PUT/DELETE /authorizations for the caller's tenant. The status is derived on every write (from the dates,
/// the units and the patient's other authorizations) and the authorization is put in the expiry index for today, so
/// the next sweep reviews it and raises what is due. Every change writes an audit row (numbers and codes only).
/// </summary>
public sealed class AuthorizationAdminHandler(AuthorizationStore store, AuditLog audit, TimeProvider time)
{
    public const int MaxPageSize = 200;

    public async Task<AuthorizationOutcome> GetAsync(TenantId tenant, string number, CancellationToken cancellationToken) =>
        IsNumber(number) && await store.GetAsync(tenant, number, cancellationToken).ConfigureAwait(false) is { } found
            ? new AuthorizationOutcome.Found(found)
            : new AuthorizationOutcome.NotFound();

    public Task<(IReadOnlyList<Authorization> Items, string? ContinuationToken)> ListAsync(
        TenantId tenant, AuthorizationFilter filter, int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
        store.ListAsync(tenant, filter, Math.Clamp(pageSize, 1, MaxPageSize), continuationToken, cancellationToken);

    public async Task<AuthorizationOutcome> CreateAsync(TenantId tenant, ReadOnlyMemory<byte> body, string actor, CancellationToken cancellationToken)
    {
        var read = AuthorizationJson.Read(body.Span);
        if (read.Value is not { } value)
        {
            return new AuthorizationOutcome.Invalid(read.Issues);
        }

        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        value = await WithDerivedStatusAsync(tenant, value, today, cancellationToken).ConfigureAwait(false);
        var stored = await store.AddAsync(tenant, value, today, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return new AuthorizationOutcome.Conflict("An authorization with this authNumber exists already.");
        }

        await AuditAsync(tenant, now, actor, "authorization.create", value, stored.ETag, cancellationToken).ConfigureAwait(false);
        return new AuthorizationOutcome.Created(stored);
    }

    public async Task<AuthorizationOutcome> ReplaceAsync(
        TenantId tenant, string number, string? ifMatch, ReadOnlyMemory<byte> body, string actor, CancellationToken cancellationToken)
    {
        if (!IsNumber(number) || await store.GetAsync(tenant, number, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return new AuthorizationOutcome.NotFound();
        }

        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            return new AuthorizationOutcome.PreconditionRequired();
        }

        var read = AuthorizationJson.Read(body.Span);
        if (read.Value is not { } value)
        {
            return new AuthorizationOutcome.Invalid(read.Issues);
        }

        if (!string.Equals(value.AuthNumber, number, StringComparison.Ordinal))
        {
            return new AuthorizationOutcome.Invalid([OutcomeIssue.Error("value", "authNumber must equal the number in the URL (create a new authorization to change it).", "authNumber")]);
        }

        if (ifMatch.Trim() != "*" && ifMatch.Trim() != current.ETag)
        {
            return new AuthorizationOutcome.PreconditionFailed();
        }

        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);

        // The consumption ledger and alert bookkeeping are the server's: a client's PUT cannot rewrite them.
        value = value with { Usage = current.Value.Usage, LastAlertSent = current.Value.LastAlertSent };
        value = await WithDerivedStatusAsync(tenant, value, today, cancellationToken).ConfigureAwait(false);
        StoredAuthorization saved;
        try
        {
            saved = await store.ReplaceAsync(tenant, current, value, today, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return new AuthorizationOutcome.PreconditionFailed();
        }

        await AuditAsync(tenant, now, actor, "authorization.update", value, saved.ETag, cancellationToken).ConfigureAwait(false);
        return new AuthorizationOutcome.Found(saved);
    }

    public async Task<AuthorizationOutcome> DeleteAsync(TenantId tenant, string number, string? ifMatch, string actor, CancellationToken cancellationToken)
    {
        if (!IsNumber(number) || await store.GetAsync(tenant, number, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return new AuthorizationOutcome.NotFound();
        }

        var condition = string.IsNullOrWhiteSpace(ifMatch) ? current.ETag : ifMatch.Trim();
        if (condition != "*" && condition != current.ETag)
        {
            return new AuthorizationOutcome.PreconditionFailed();
        }

        try
        {
            await store.DeleteAsync(tenant, current, current.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return new AuthorizationOutcome.PreconditionFailed();
        }

        await AuditAsync(tenant, time.GetUtcNow(), actor, "authorization.delete", current.Value, current.ETag, cancellationToken).ConfigureAwait(false);
        return new AuthorizationOutcome.Deleted();
    }

    private async Task<Authorization> WithDerivedStatusAsync(TenantId tenant, Authorization value, DateOnly today, CancellationToken cancellationToken)
    {
        var siblings = await store.ForPatientAsync(tenant, value.PatientIdentifier, cancellationToken).ConfigureAwait(false);
        var others = siblings.Where(s => s.AuthNumber != value.AuthNumber).Append(value);
        return value with { Status = AuthorizationReviewer.StatusOn(value, today, others, AuthorizationReviewPolicy.Default) };
    }

    private Task AuditAsync(TenantId tenant, DateTimeOffset at, string actor, string action, Authorization value, string etag, CancellationToken cancellationToken)
    {
        var details = string.Create(
            CultureInfo.InvariantCulture,
            $"authorization {value.AuthNumber}; payer {value.Payer}; {AuthorizationJson.Date(value.StartDate)} to {AuthorizationJson.Date(value.ExpirationDate)}; units {value.UnitsUsed}/{value.UnitsAuthorized}; status {value.Status}");
        var key = action + "-" + value.AuthNumber + "-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(etag)))[..16];
        return audit.AppendAsync(new AuditEntry(tenant, at, actor, null, action, AuditResults.Success, details), key, cancellationToken);
    }

    private static bool IsNumber(string number) =>
        !string.IsNullOrEmpty(number) && number.Length <= 64 && number.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
