-- The user database auth-service reads (start.sh runs this on every start; it is idempotent).
CREATE TABLE IF NOT EXISTS users (
  name text PRIMARY KEY,
  tier text NOT NULL
);
INSERT INTO users (name, tier) VALUES
  ('alice', 'premium'),
  ('bob', 'standard'),
  ('carol', 'premium'),
  ('dave', 'standard'),
  ('erin', 'standard')
ON CONFLICT (name) DO NOTHING;
