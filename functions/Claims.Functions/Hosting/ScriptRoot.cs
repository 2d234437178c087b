namespace Claims.Functions.Hosting;

/// <summary>The function app root: the folder holding host.json (the working directory in Azure; the repo root locally).</summary>
public static class ScriptRoot
{
    public static string Find(string contentRoot)
    {
        foreach (var start in new[] { contentRoot, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "host.json")))
                {
                    return dir.FullName;
                }
            }
        }

        return contentRoot;
    }
}
