namespace PgHa;

// TEMPORARY stand-in until the service branch lands; replaced at merge.
public sealed class PgHaNodeServiceResult
{
}
