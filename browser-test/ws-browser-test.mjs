// Runs MQTT.js inside headless Chromium against a Tern WebSocket listener.
// Driven by BrowserWebSocketTest (JUnit), which talks to it over stdout lines:
//   READY <userAgent>        the page is connected and subscribed to browser/in
//   RECEIVED <topic> <text>  the page got a message (published by the test over TCP)
//   PUBLISHED                the page published browser/out (the test's TCP subscriber checks it)
// Exit code 0 on success; on failure a line "FAILED <reason>" and exit code 1.
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const wsUrl = process.argv[2];
const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(here, 'node_modules', 'mqtt', 'dist', 'mqtt.min.js');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

let browser;
try {
  browser = await chromium.launch({
    executablePath,
    headless: true,
    // No network beyond loopback here: keep Chromium from reaching out at start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  page.on('console', (m) => process.stderr.write(`page: ${m.text()}\n`));
  await page.setContent('<!doctype html><title>tern</title><body>tern browser test</body>');
  await page.addScriptTag({ path: bundle });

  const userAgent = await page.evaluate(async (url) => {
    window.client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, clientId: 'browser-' + Date.now() });
    window.firstMessage = new Promise((resolve) => {
      window.client.on('message', (topic, payload) => resolve(topic + ' ' + new TextDecoder().decode(payload)));
    });
    await new Promise((resolve, reject) => {
      window.client.on('connect', resolve);
      window.client.on('error', reject);
      setTimeout(() => reject(new Error('no CONNACK within 10 s')), 10000);
    });
    await new Promise((resolve, reject) =>
      window.client.subscribe('browser/in', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    return navigator.userAgent;
  }, wsUrl);
  console.log(`READY ${userAgent}`);

  const received = await page.evaluate(() => Promise.race([
    window.firstMessage,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no message within 20 s')), 20000)),
  ]));
  console.log(`RECEIVED ${received}`);

  await page.evaluate(() => new Promise((resolve, reject) =>
    window.client.publish('browser/out', 'from-browser', { qos: 1 }, (err) => (err ? reject(err) : resolve()))));
  console.log('PUBLISHED');
  await page.evaluate(() => new Promise((resolve) => window.client.end(false, {}, resolve)));
  await browser.close();
  process.exit(0);
} catch (error) {
  console.log(`FAILED ${error && error.message ? error.message : error}`);
  if (browser) {
    await browser.close().catch(() => {});
  }
  process.exit(1);
}
