using System.Runtime.CompilerServices;

namespace Claims.Testing;

/// <summary>
/// Locates the read-only test data in ../shared/data (relative to the repo root, the folder holding
/// Claims.Functions.sln). Tests that need it use <see cref="SharedDataFactAttribute"/> or
/// <see cref="SharedDataTheoryAttribute"/>: skipped with a clear message when the folder is missing locally, run (and
/// failing with a clear message) when it is missing and CI=true. CLAIMS_SHARED_DATA overrides the location.
/// </summary>
public static class SharedData
{
    /// <summary>The name a data source yields when the folder is missing, so that a CI run fails visibly.</summary>
    public const string MissingMarker = "(shared data missing)";

    private static readonly Lazy<string?> Located = new(() => Locate());

    /// <summary>The absolute path of the shared data folder, or null when it is not there.</summary>
    public static string? Root => Located.Value;

    /// <summary>True when the environment variable CI is "true" (GitHub Actions, Azure Pipelines set it).</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string SkipReason =>
        "Test data folder ../shared/data (next to the repo root) is missing; set CLAIMS_SHARED_DATA or check out ../shared. Under CI=true this test fails instead.";

    /// <summary>The absolute path of a file or folder under the shared data; throws a clear message when missing.</summary>
    public static string PathOf(params string[] parts)
    {
        var root = Root ?? throw new InvalidOperationException(
            "The shared test data folder ../shared/data was not found from the repo root (Claims.Functions.sln). It is required when CI=true.");
        var path = System.IO.Path.Combine([root, .. parts]);
        return File.Exists(path) || Directory.Exists(path)
            ? path
            : throw new FileNotFoundException($"Shared test data '{string.Join('/', parts)}' is missing under {root}.");
    }

    public static byte[] ReadBytes(params string[] parts) => File.ReadAllBytes(PathOf(parts));

    /// <summary>
    /// File names (not paths) in a shared data folder matching <paramref name="pattern"/>, sorted, for [MemberData];
    /// a single <see cref="MissingMarker"/> when the data is missing, so the theory still has a case that fails.
    /// </summary>
    public static IEnumerable<object[]> Files(string folder, string pattern)
    {
        var root = Root;
        var directory = root is null ? null : System.IO.Path.Combine(root, folder);
        if (directory is null || !Directory.Exists(directory))
        {
            return [[MissingMarker]];
        }

        return Directory.EnumerateFiles(directory, pattern)
            .Select(System.IO.Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .Select(name => new object[] { name! })
            .ToList();
    }

    private static string? Locate([CallerFilePath] string sourceFile = "")
    {
        var overridden = Environment.GetEnvironmentVariable("CLAIMS_SHARED_DATA");
        if (!string.IsNullOrEmpty(overridden))
        {
            return Directory.Exists(overridden) ? System.IO.Path.GetFullPath(overridden) : null;
        }

        // The test binaries may live outside the repo (--artifacts-path), so also start from this file's source path.
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory(), System.IO.Path.GetDirectoryName(sourceFile) })
        {
            for (var dir = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Claims.Functions.sln")))
                {
                    var data = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "data"));
                    return Directory.Exists(data) ? data : null;
                }
            }
        }

        return null;
    }
}

/// <summary>A [Fact] that needs ../shared/data: skipped when it is missing, unless CI=true.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (SharedData.Root is null && !SharedData.IsCi)
        {
            Skip = SharedData.SkipReason;
        }
    }
}

/// <summary>A [Theory] that needs ../shared/data: skipped when it is missing, unless CI=true.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute()
    {
        if (SharedData.Root is null && !SharedData.IsCi)
        {
            Skip = SharedData.SkipReason;
        }
    }
}
