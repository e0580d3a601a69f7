namespace PgHa.Tests.Health;

/// <summary>GETs from a monitor's health endpoint: the status (0 when nothing answers) and the body.</summary>
public static class HealthClient
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };

    public static async Task<(int Status, string Body, string? Age)> GetAsync(string address, int port, string pathAndQuery)
    {
        try
        {
            using HttpResponseMessage response = await Http.GetAsync($"http://{address}:{port}{pathAndQuery}");
            string? age = response.Headers.TryGetValues("X-PgHa-Snapshot-Age", out var values) ? values.Single() : null;
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), age);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return (0, ex.Message, null);
        }
    }

    public static async Task<int> StatusAsync(string address, int port, string pathAndQuery) => (await GetAsync(address, port, pathAndQuery)).Status;

    /// <summary>One sample of /metrics as name{labels} → value.</summary>
    public static Dictionary<string, double> ParseMetrics(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#'))
            .ToDictionary(l => l[..l.LastIndexOf(' ')], l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
