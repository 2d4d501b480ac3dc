'use strict';
// auth-service: GET /auth/verify?user=NAME looks the user up in PostgreSQL (database "users").
// 200 {authenticated: true, user, tier} for a known user, 401 {authenticated: false} otherwise.
// The pg auto-instrumentation turns each query into a DB CLIENT span in the caller's trace.
const express = require('express');
const { Pool } = require('pg');

const PORT = Number(process.env.PORT || 8081);
const pool = new Pool({
  host: process.env.PGHOST || '127.0.0.1',
  port: Number(process.env.PGPORT || 15432),
  user: process.env.PGUSER || 'postgres',
  database: process.env.PGDATABASE || 'users',
  max: 5,
  connectionTimeoutMillis: 3000,
});

const app = express();

app.get('/auth/verify', async (req, res) => {
  const user = String(req.query.user || '');
  if (!user) {
    res.status(400).json({ authenticated: false, error: 'missing ?user=' });
    return;
  }
  try {
    const result = await pool.query('SELECT name, tier FROM users WHERE name = $1', [user]);
    if (result.rowCount === 0) {
      res.status(401).json({ authenticated: false, user, error: 'unknown user' });
      return;
    }
    res.json({ authenticated: true, user, tier: result.rows[0].tier });
  } catch (err) {
    console.error('user lookup failed:', err.message);
    res.status(503).json({ authenticated: false, user, error: 'user database unavailable' });
  }
});

// Ready only when the database answers: start.sh waits on this.
app.get('/healthz', async (_req, res) => {
  try {
    await pool.query('SELECT 1');
    res.json({ status: 'ok' });
  } catch (err) {
    res.status(503).json({ status: 'db unavailable', error: err.message });
  }
});

app.listen(PORT, '127.0.0.1', () => console.log(`auth-service on :${PORT}`));
