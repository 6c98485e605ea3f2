-- Escalation targets staydown proposes for a platform that has none when an escalation is due
-- (services/takedown/escalation-proposals.ts): the KCSC's review-request record for a Korean site, the
-- hosting provider's and then the registrar's abuse contact (from RDAP) for the others. A proposal is a
-- draft only: nothing is sent to a proposed address until a person accepts it, which creates (or reuses)
-- the platform records and sets the escalate_to chain. One proposal per platform, kept as a cache so
-- that a monitoring pass does not ask RDAP again; a failed lookup is tried again after retry_at.
CREATE TABLE escalation_proposals (
  platform_id uuid PRIMARY KEY REFERENCES platforms (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('proposed', 'failed', 'accepted')),
  -- The proposed records in chain order: [{role, name, kind, domains, emails, formUrl, jurisdiction,
  -- language, existingPlatformId, source, note}] - contact data of hosts and registrars, never victim data.
  targets jsonb NOT NULL DEFAULT '[]',
  -- Why the lookup failed (a sentence a person can act on), or what is missing from the proposal.
  problem text,
  -- The host name whose address and domain were looked up.
  looked_up_host text,
  looked_up_at timestamptz NOT NULL DEFAULT now(),
  retry_at timestamptz,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users (id) ON DELETE SET NULL
);

-- The Korea Communications Standards Commission is neither a site nor a host: a regulator that reviews
-- (deletion for a domestic service, access blocking for an overseas one).
ALTER TABLE platforms DROP CONSTRAINT platforms_kind_check;
ALTER TABLE platforms ADD CONSTRAINT platforms_kind_check CHECK (kind IN ('site', 'host', 'registrar', 'search-engine', 'regulator'));
