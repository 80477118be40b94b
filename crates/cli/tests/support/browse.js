// Loads one page in headless Chromium (Debian's, driven by playwright-core) and prints, as
// JSON, what a test needs to judge it: every request the page made, console errors, the
// charts' data attributes, the report's number cells, and the dashboard's state.
//
// usage: node browse.js URL SCREENSHOT [MIN_POINTS]
//   MIN_POINTS: wait until the dashboard's rate chart holds this many points.
"use strict";

const { chromium } = require(process.env.PIPEGEN_TEST_PLAYWRIGHT);

async function main() {
  const [url, screenshot, minPoints] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.PIPEGEN_TEST_CHROMIUM,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const requests = [];
  const console_messages = [];
  const page_errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => console_messages.push({ type: message.type(), text: message.text() }));
    page.on("pageerror", (error) => page_errors.push(String(error)));
    await page.goto(url, { waitUntil: "load" });
    if (minPoints) {
      await page.waitForFunction((n) => {
        const series = document.querySelector('svg[data-chart="rate"] g[data-series="achieved"]');
        return series && series.dataset.x.split(" ").filter((x) => x !== "").length >= n;
      }, Number(minPoints), { timeout: 60000 });
    }
    await page.screenshot({ path: screenshot, fullPage: true });
    const seen = await page.evaluate(() => {
      const charts = {};
      for (const svg of document.querySelectorAll("svg[data-chart]")) {
        const series = {};
        for (const g of svg.querySelectorAll("g[data-series]")) {
          const split = (text) => (text === "" ? [] : text.split(" "));
          series[g.dataset.series] = {
            x: split(g.dataset.x).map(Number),
            y: split(g.dataset.y).map((v) => (v === "n/a" ? null : Number(v))),
          };
        }
        const bands = [...svg.querySelectorAll("g[data-band]")].map((b) => ({
          label: b.dataset.band,
          start: Number(b.dataset.start),
          end: Number(b.dataset.end),
        }));
        charts[svg.dataset.chart] = { empty: svg.dataset.empty === "true", series, bands };
      }
      const cells = [...document.querySelectorAll("[data-json]")].map((c) => ({
        path: c.dataset.json,
        text: c.textContent,
      }));
      // Number-looking table cells that do not say which JSON value they show.
      const untagged = [...document.querySelectorAll("td:not([data-json])")]
        .map((c) => c.textContent.trim())
        .filter((t) => /^-?[0-9][0-9.,]*$/.test(t));
      const state = document.getElementById("state");
      return {
        title: document.title,
        charts,
        cells,
        untagged_numbers: untagged,
        state: state ? state.textContent : null,
      };
    });
    process.stdout.write(JSON.stringify({ requests, console: console_messages, page_errors, ...seen }));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
