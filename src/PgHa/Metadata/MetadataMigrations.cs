namespace PgHa.Metadata;

/// <summary>
/// The schema `pgha`, as numbered steps. A step is never edited once released: changes come as a new
/// step, so any metadata database can be brought up to date from whatever version it holds.
/// </summary>
internal static class MetadataMigrations
{
    public const string Schema = "pgha";

    public static IReadOnlyList<(int Version, string Description, string Sql)> Steps { get; } =
    [
        (1, "nodes, events and monitoring history", """
            CREATE TABLE pgha.nodes (
                node_id          integer PRIMARY KEY CHECK (node_id > 0),
                node_name        text    NOT NULL UNIQUE CHECK (node_name <> ''),
                role             text    NOT NULL CHECK (role IN ('primary', 'standby', 'witness')),
                upstream_node_id integer REFERENCES pgha.nodes (node_id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
                active           boolean NOT NULL DEFAULT true,
                location         text    NOT NULL DEFAULT 'default',
                priority         integer NOT NULL DEFAULT 100 CHECK (priority >= 0),
                conninfo         text    NOT NULL,
                slot_name        text,
                data_directory   text,
                pg_bindir        text,
                registered_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
                updated_at       timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            -- One active primary at most: the database itself refuses a second one.
            CREATE UNIQUE INDEX nodes_one_active_primary ON pgha.nodes ((true)) WHERE role = 'primary' AND active;

            CREATE TABLE pgha.events (
                event_id        bigserial   PRIMARY KEY,
                node_id         integer     NOT NULL,
                node_name       text        NOT NULL, -- kept: the node may be unregistered later
                event           text        NOT NULL,
                successful      boolean     NOT NULL,
                event_timestamp timestamptz NOT NULL DEFAULT clock_timestamp(),
                details         text
            );
            CREATE INDEX events_by_time ON pgha.events (event_timestamp DESC);

            CREATE TABLE pgha.monitoring_history (
                primary_node_id           integer     NOT NULL,
                standby_node_id           integer     NOT NULL,
                sample_time               timestamptz NOT NULL DEFAULT clock_timestamp(),
                primary_lsn               pg_lsn      NOT NULL,
                standby_receive_lsn       pg_lsn,
                standby_replay_lsn        pg_lsn,
                replication_lag_bytes     bigint,
                replay_lag_seconds        double precision
            );
            CREATE INDEX monitoring_history_by_time ON pgha.monitoring_history (sample_time);
            """),
        (2, "how to reach a node's host over SSH (null: PgHa runs on that host)", """
            ALTER TABLE pgha.nodes
                ADD COLUMN ssh_host text,
                ADD COLUMN ssh_port integer CHECK (ssh_port BETWEEN 1 AND 65535),
                ADD COLUMN ssh_user text;
            """),
        (3, "cluster state for the monitors (election term, pause, set-aside synchronous standbys) and monitor ports", """
            ALTER TABLE pgha.nodes
                ADD COLUMN monitor_port integer CHECK (monitor_port BETWEEN 1 AND 65535);

            -- One row: the state every monitor reads from its own node's copy.
            CREATE TABLE pgha.cluster_state (
                id                      integer     PRIMARY KEY DEFAULT 1 CHECK (id = 1),
                term                    bigint      NOT NULL DEFAULT 1 CHECK (term > 0),
                term_primary_node_id    integer,
                term_started_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
                paused                  boolean     NOT NULL DEFAULT false,
                paused_at               timestamptz,
                paused_by               text,
                -- synchronous_standby_names while writes are degraded to asynchronous; null otherwise.
                synchronous_set_aside   text,
                synchronous_degraded_at timestamptz
            );
            INSERT INTO pgha.cluster_state (term_primary_node_id)
                SELECT (SELECT node_id FROM pgha.nodes WHERE role = 'primary' AND active);
            """),
        (4, "which backend decides elections (the built-in quorum or etcd, with etcd's endpoints, prefix and TLS file paths)", """
            -- One row. Never a user or a password: every node brings its own etcd credentials.
            CREATE TABLE pgha.consensus (
                id             integer     PRIMARY KEY DEFAULT 1 CHECK (id = 1),
                backend        text        NOT NULL DEFAULT 'builtin' CHECK (backend IN ('builtin', 'etcd')),
                etcd_endpoints text[]      NOT NULL DEFAULT '{}',
                etcd_prefix    text,
                etcd_ca_file   text,
                etcd_cert_file text,
                etcd_key_file  text,
                changed_at     timestamptz,
                changed_by     text,
                CONSTRAINT consensus_etcd_is_complete
                    CHECK (backend <> 'etcd' OR (cardinality(etcd_endpoints) > 0 AND etcd_prefix IS NOT NULL))
            );
            INSERT INTO pgha.consensus DEFAULT VALUES;
            """),
    ];
}
