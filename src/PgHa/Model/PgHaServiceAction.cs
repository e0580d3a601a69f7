namespace PgHa;

/// <summary>What Start-PgHaNode, Stop-PgHaNode or Restart-PgHaNode was asked to do.</summary>
public enum PgHaServiceAction
{
    Start,
    Stop,
    Restart,
}
