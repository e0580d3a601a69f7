namespace PgHa.Etcd;

/// <summary>A gRPC status etcd answered with (codes as in grpc/codes: 4 deadline, 7 permission, 14 unavailable, 16 unauthenticated).</summary>
internal sealed record EtcdStatus(int Code, string Message)
{
    public const int InvalidArgument = 3;
    public const int DeadlineExceeded = 4;
    public const int NotFound = 5;
    public const int PermissionDenied = 7;
    public const int FailedPrecondition = 9;
    public const int Unavailable = 14;
    public const int Unauthenticated = 16;

    /// <summary>
    /// Errors of the member or of the etcd cluster, not of the request: no leader, leader changed, request timed
    /// out (no quorum), too many requests. Another member, or the same one a moment later, may answer.
    /// </summary>
    public bool IsTransient => Code is DeadlineExceeded or Unavailable or 1 or 8 or 10;

    public bool IsAuthenticationFailure => Code == InvalidArgument && Message.Contains("authentication failed", StringComparison.Ordinal);
}
