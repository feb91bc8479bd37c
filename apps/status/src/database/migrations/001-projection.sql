-- The projection of the topics (rebuilt by replaying them: `{projection}.*` tables only) and the
-- status service's own state (`{console}.*`: accounts, sessions, API tokens, which are not events).

create schema if not exists {projection};
create schema if not exists {console};

-- Offsets the projector has applied, written in the same transaction as the rows they changed.
create table {projection}.applied_offsets (
  consumer_group text not null,
  topic          text not null,
  partition      int  not null,
  next_offset    bigint not null,
  primary key (consumer_group, topic, partition)
);

-- One row per call (qm.call-control.v1), updated by each CallEvent in sequence order.
create table {projection}.calls (
  call_id             text primary key,
  state               text not null check (state in ('ringing', 'answered', 'ended', 'failed')),
  direction           text not null,
  source              text not null,
  caller_uri          text not null,
  caller_user         text,
  caller_name         text,
  caller_asserted     text,
  callee_uri          text not null,
  callee_user         text,
  callee_name         text,
  callee_asserted     text,
  recorded_user_id    text,
  started_at          timestamptz not null,
  answered_at         timestamptz,
  ended_at            timestamptz,
  -- answered → ended (talk time); null until the call ends after an answer
  duration_ms         bigint,
  ended_by            text,
  failure_status      int,
  reason              text,
  codecs              text[] not null default '{}',
  caller_media        jsonb not null default '[]',
  callee_media        jsonb not null default '[]',
  last_sequence       int not null,
  call_control_instance text not null,
  has_recording       boolean not null default false
);
create index calls_started on {projection}.calls (started_at desc, call_id desc);
create index calls_user on {projection}.calls (recorded_user_id, started_at desc);
create index calls_caller_user on {projection}.calls (caller_user);
create index calls_callee_user on {projection}.calls (callee_user);

-- Every event of a call, for the timeline (call-control and recordings events alike).
create table {projection}.call_timeline (
  event_id     text primary key,
  call_id      text not null,
  topic        text not null,
  kind         text not null,
  capture_time timestamptz not null,
  instance_id  text not null,
  detail       jsonb not null
);
create index call_timeline_call on {projection}.call_timeline (call_id, capture_time, event_id);

-- One row per leg (qm.recordings.v1 LEG_STARTED / LEG_COMPLETED).
create table {projection}.legs (
  call_id        text not null,
  leg_id         text not null,
  side           text not null,
  source         text not null,
  destination    text not null,
  ssrcs          bigint[] not null default '{}',
  codecs         text[] not null default '{}',
  raw_path       text not null,
  raw_sha256     text,
  state          text not null check (state in ('recording', 'completed')),
  first_packet_at timestamptz not null,
  last_packet_at  timestamptz not null,
  packets        bigint,
  expected       bigint,
  lost           bigint,
  duplicated     bigint,
  out_of_order   bigint,
  late           bigint,
  jitter_ms      double precision,
  max_jitter_ms  double precision,
  dtmf           jsonb not null default '[]',
  recorder_instance text not null,
  primary key (call_id, leg_id)
);

-- The playable recording of a call (qm.recordings.v1 CONVERTED / FAILED).
create table {projection}.recordings (
  call_id      text primary key,
  state        text not null check (state in ('completed', 'converted', 'failed')),
  path         text,
  format       text,
  channels     int,
  sample_rate  int,
  duration_ms  bigint,
  bytes        bigint,
  sha256       text,
  error        text,
  converter_instance text
);

-- The directory (qm.directory.v1, compacted; a tombstone deletes the user).
create table {projection}.users (
  user_id        text primary key,
  display_name   text not null,
  extensions     text[] not null default '{}',
  sip_uris       text[] not null default '{}',
  team           text,
  supervisor_id  text,
  recording_mode text not null check (recording_mode in ('ALWAYS', 'NEVER', 'PERCENTAGE')),
  recording_percentage int not null,
  updated_at     timestamptz not null,
  updated_by     text not null
);
create table {projection}.devices (
  user_id     text not null references {projection}.users (user_id) on delete cascade,
  ip          text not null,
  description text,
  primary key (user_id, ip)
);
create index users_team on {projection}.users (team);

-- Service settings (qm.config.v1, compacted), kept whole.
create table {projection}.service_config (
  service_kind text primary key,
  revision     bigint not null,
  updated_at   timestamptz not null,
  updated_by   text not null,
  config       jsonb not null
);

-- Service instances (qm.services.v1, compacted heartbeats).
create table {projection}.service_instances (
  instance_id   text primary key,
  service_kind  text not null,
  host          text not null,
  pid           int not null,
  version       text not null,
  state         text not null,
  started_at    timestamptz not null,
  last_heartbeat_at timestamptz not null,
  lag           bigint not null,
  counters      jsonb not null,
  assignments   text[] not null
);

-- Who played, downloaded or monitored which call (qm.audit.v1).
create table {projection}.audit_entries (
  event_id       text primary key,
  user_id        text not null,
  action         text not null,
  call_id        text,
  detail         text,
  at             timestamptz not null,
  remote_address text
);
create index audit_call on {projection}.audit_entries (call_id, at);
create index audit_user on {projection}.audit_entries (user_id, at);

-- Console accounts: local, hashed passwords (scrypt), roles.
create table {console}.accounts (
  username      text primary key,
  password_hash text not null,
  role          text not null check (role in ('admin', 'supervisor', 'agent')),
  -- the directory user this account is (agents see their own calls; supervisors their team's)
  user_id       text,
  created_at    timestamptz not null default now()
);
create table {console}.sessions (
  token_sha256 text primary key,
  username     text not null references {console}.accounts (username) on delete cascade,
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null
);
-- API tokens, e.g. for the PBX server-agent ingest.
create table {console}.api_tokens (
  token_sha256 text primary key,
  name         text not null unique,
  scope        text not null check (scope in ('agent-ingest', 'read')),
  created_at   timestamptz not null default now()
);
