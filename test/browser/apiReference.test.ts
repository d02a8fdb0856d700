/**
 * The API reference page (GET /docs/api) in headless Chromium: under the server's Content-Security-Policy, Swagger UI
 * loads from this server, reads GET /openapi.json and renders its operations; the page logs no CSP violation.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { bootTestServer, type TestServer } from "../helpers/server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

describe("API reference page in Chromium", function () {
  this.timeout(60_000);
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    server = await bootTestServer({ database: "pglite", redis: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--mute-audio"] });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("renders the operations of /openapi.json, with only same-origin requests and no CSP violation", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("request", (request) => {
      if (!request.url().startsWith(server.baseUrl) && !request.url().startsWith("data:")) foreign.push(request.url());
    });
    await page.goto(`${server.baseUrl}/docs/api`);
    // Swagger UI renders one block per operation, with its path.
    const operation = page.locator(".opblock", { hasText: "/auth/register" });
    await operation.first().waitFor({ timeout: 10_000 });
    assert.ok((await page.locator(".opblock").count()) >= 25, "every operation is listed");
    assert.match((await page.locator(".info .title").textContent()) ?? "", /Game server HTTP API/);
    assert.deepEqual(foreign, [], "the page loads nothing from elsewhere");
    assert.deepEqual(problems, [], "no script error and no Content-Security-Policy violation");
    await page.close();
  });
});
