// One user's session sent by the real Segment Node client, with its default batching (15 messages a
// batch, full batches sent at once, so several are in flight together): identify, group, then tracks.
// Usage: node send.mjs HOST WRITE_KEY USER_ID GROUP_ID TRACKS. Prints {"batches": N, "failures": [...]}.
import { Analytics } from '@segment/analytics-node'

const [host, writeKey, userId, groupId, tracks] = process.argv.slice(2)
const analytics = new Analytics({ writeKey, host, maxRetries: 1 })
const failures = []
let batches = 0
analytics.on('http_request', () => { batches += 1 })
analytics.on('error', (error) => failures.push(String(error.reason ?? error.code ?? error)))

analytics.identify({ userId, traits: { email: `${userId}@example.com` } })
analytics.group({ userId, groupId, traits: { plan: 'pro' } })
for (let i = 0; i < Number(tracks); i += 1) {
  analytics.track({ userId, event: 'Invoice Sent', properties: { n: i } })
}
await analytics.closeAndFlush({ timeout: 30000 })
console.log(JSON.stringify({ batches, failures }))
process.exitCode = failures.length ? 1 : 0
