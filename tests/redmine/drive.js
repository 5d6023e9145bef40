// Drives headless Chromium through Redmine for scripts/test-redmine, one phase per run:
//
//   node drive.js <phase> <config.json>
//
// Phases: settings (admin), billing, cached, refresh, search, redirect, host, forbidden, throttled, unreachable. The config (written
// by the script) holds the URLs, logins, the API credentials to type in and what the pages must
// show; logged-in sessions are kept in its stateDir between phases. Prints "ok - <check>" per
// check passed; the first failed check throws (exit status 1) with what was expected and found.
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const [phase, configPath] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
const base = config.baseUrl;
const billingPath = `/projects/${config.project}/seikyu`;

function ok(check) {
  console.log(`ok - ${check}`);
}

function expect(condition, check, found) {
  if (!condition) {
    throw new Error(`${check}: not so${found === undefined ? "" : ` (found: ${String(found).slice(0, 500)})`}`);
  }
  ok(check);
}

async function browser() {
  return chromium.launch({
    executablePath: config.chromium || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ],
  });
}

function statePath(who) {
  return path.join(config.stateDir, `${who}.json`);
}

// A browser context logged in as +who+ (admin, viewer, other): reuses the session of an earlier
// phase when there is one.
async function session(b, who) {
  const saved = statePath(who);
  const options = { acceptDownloads: true, locale: "ja-JP", viewport: { width: 1280, height: 900 } };
  if (fs.existsSync(saved)) {
    return b.newContext({ ...options, storageState: saved });
  }
  const context = await b.newContext(options);
  const page = await context.newPage();
  const { login, password } = config.users[who];
  await page.goto(`${base}/login`);
  await page.fill("#username", login);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("#login-submit")]);
  const loggedAs = await page.locator("#loggedas a").textContent().catch(() => null);
  expect(loggedAs === login, `${who} (${login}) logs in to Redmine`, loggedAs ?? page.url());
  await context.storageState({ path: saved });
  await page.close();
  return context;
}

async function connectionTest(page) {
  await page.locator("#seikyu-connection-result").evaluate((el) => { el.textContent = ""; });
  await page.click("#seikyu-test-connection");
  const outcome = page.locator("#seikyu-connection-outcome");
  await outcome.waitFor({ timeout: 30000 });
  return { outcome: await outcome.getAttribute("data-outcome"), error: await outcome.getAttribute("data-error"),
           principal: await outcome.getAttribute("data-principal"),
           text: (await outcome.textContent()).replace(/\s+/g, " ").trim() };
}

async function download(page, trigger, file) {
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 30000 }), trigger()]);
  const failure = await dl.failure();
  if (failure) throw new Error(`download ${file} failed: ${failure}`);
  const target = path.join(config.outDir, file);
  await dl.saveAs(target);
  return { target, suggested: dl.suggestedFilename() };
}

const phases = {
  // The administrator fills in the plugin settings, tests the connection and saves them.
  async settings(b) {
    const context = await session(b, "admin");
    const page = await context.newPage();
    const settingsUrl = `${base}/settings/plugin/redmine_seikyu`;
    const response = await page.goto(settingsUrl);
    expect(response.status() === 200, "the plugin's settings page opens for the admin", response.status());

    const api = config.api;
    await page.fill("#settings_endpoint", api.endpoint);
    await page.fill("#settings_region", api.region);
    await page.fill("#settings_access_key_id", api.accessKeyId);
    await page.fill("#settings_secret_access_key", api.secretAccessKey);
    await page.fill("#settings_api_key", "not-the-api-key");
    let result = await connectionTest(page);
    expect(result.outcome === "error" && result.error === "not_authorised",
      "test connection with a wrong API key shows the 'not authorised' message", JSON.stringify(result));

    await page.fill("#settings_api_key", api.apiKey);
    result = await connectionTest(page);
    expect(result.outcome === "ok" && result.text.includes(config.tenantName) && result.text.includes(config.tenantId) &&
           result.principal === config.principalArn,
      `test connection (GET /v1/me) shows the tenant ${config.tenantId} (${config.tenantName})`, JSON.stringify(result));

    await Promise.all([page.waitForNavigation(), page.click("#settings input[type=submit]")]);
    expect((await page.locator("#flash_notice").count()) === 1, "the settings are saved", page.url());

    const html = await page.content();
    expect(!html.includes(api.secretAccessKey) && !html.includes(api.apiKey),
      "the saved secret access key and API key are never sent back to the browser");
    const blank = await page.inputValue("#settings_secret_access_key") === "" && await page.inputValue("#settings_api_key") === "";
    const hints = await page.locator("#settings_secret_access_key_state[data-saved=true], #settings_api_key_state[data-saved=true]").count();
    expect(blank && hints === 2, "the secret fields are blank with a 'saved; leave blank to keep' hint", `blank=${blank} hints=${hints}`);

    // Saving again with the secrets left blank keeps them; the test then still connects.
    await page.fill("#settings_cache_seconds", String(config.cacheSeconds));
    await Promise.all([page.waitForNavigation(), page.click("#settings input[type=submit]")]);
    result = await connectionTest(page);
    expect(result.outcome === "ok" && result.text.includes(config.tenantName),
      "saving with the secret fields blank keeps the saved secrets", result.text);
    await page.screenshot({ path: path.join(config.docsDir, "redmine-settings.png"), fullPage: true });
    ok(`screenshot ${path.join(config.docsDir, "redmine-settings.png")}`);
    await context.close();
  },

  // The user whose role holds "View billing" sees the tenant's own data and downloads the files.
  async billing(b) {
    const context = await session(b, "viewer");
    const page = await context.newPage();
    const response = await page.goto(`${base}${billingPath}`);
    expect(response.status() === 200, `the billing page ${billingPath} opens for the permitted user`, response.status());
    const text = await page.locator("#seikyu-billing").innerText();
    expect((await page.locator("#seikyu-company-name").innerText()).trim() === config.companyName,
      `it shows the tenant's company name (${config.companyName})`, await page.locator("#seikyu-company-name").innerText());
    for (const plan of config.contractPlans) {
      expect((await page.locator("#seikyu-contracts .seikyu-plan-name", { hasText: plan }).count()) === 1,
        `it lists the contract "${plan}"`, text);
    }
    const row = page.locator(`#seikyu-invoice-${config.invoiceNumber}`);
    expect((await row.count()) === 1 && (await row.getAttribute("data-status")) === "issued" &&
           (await row.locator(".seikyu-status").innerText()).includes("発行済み"),
      `it lists invoice ${config.invoiceNumber} as issued (発行済み)`, text);
    for (const [number, status, label] of [[config.paidInvoiceNumber, "paid", "入金済み"], [config.voidInvoiceNumber, "void", "無効"]]) {
      const other = page.locator(`#seikyu-invoice-${number}`);
      expect((await other.getAttribute("data-status")) === status && (await other.locator(".seikyu-status").innerText()).includes(label),
        `it lists invoice ${number} as ${status} (${label})`, await other.innerText().catch(() => "(missing)"));
    }
    const rates = await row.locator(".seikyu-rate").allInnerTexts();
    const expectRate = (label, amounts) => rates.some((r) => r.startsWith(label) && amounts.every((a) => r.includes(a)));
    expect(expectRate("10%対象", config.standardAmounts) && expectRate("8%対象（軽減税率）", config.reducedAmounts),
      `it shows the amounts per tax rate (10%: ${config.standardAmounts.join(", ")}; 8%: ${config.reducedAmounts.join(", ")})`,
      rates.join(" | "));
    expect((await row.locator(".seikyu-total").innerText()).includes(config.total), `it shows the total ${config.total}`,
      await row.innerText());
    expect((await page.locator("#seikyu-billings .seikyu-description", { hasText: config.lineDescription }).count()) >= 1,
      `it lists the billing record's lines ("${config.lineDescription}")`, text);
    const whole = await page.content();
    for (const name of config.otherTenantNames) {
      expect(!whole.includes(name), `it does not show the other tenant "${name}"`);
    }
    await page.screenshot({ path: path.join(config.docsDir, "redmine-billing.png"), fullPage: true });
    ok(`screenshot ${path.join(config.docsDir, "redmine-billing.png")}`);

    const pdfUrl = `${base}${billingPath}/invoices/${config.invoiceNumber}/pdf`;
    const head = await context.request.get(pdfUrl);
    const headers = head.headers();
    expect(head.status() === 200 && headers["content-type"] === "application/pdf" &&
           headers["transfer-encoding"] === "chunked" && !("content-length" in headers),
      "the PDF is relayed as it arrives (chunked, no Content-Length: never buffered whole)", JSON.stringify(headers));
    fs.writeFileSync(path.join(config.outDir, "pdf-headers.json"), JSON.stringify(headers));

    const pdf = await download(page, () => page.click(`#seikyu-invoice-${config.invoiceNumber} a.seikyu-pdf`), "invoice.pdf");
    expect(fs.readFileSync(pdf.target).subarray(0, 5).toString() === "%PDF-",
      `the PDF downloads through Redmine as ${pdf.suggested}`, pdf.suggested);

    const missing = await context.request.get(`${base}${billingPath}/invoices/INV-2099-999999/pdf`);
    expect(missing.status() === 404 && /data-error="not_found"/.test(await missing.text()),
      "an invoice the API does not know gets the 'not found' message (HTTP 404)", missing.status());

    const csvResponse = await context.request.get(`${base}${billingPath}/billings.csv`);
    expect(/charset=Windows-31J/i.test(csvResponse.headers()["content-type"] || ""),
      "the CSV export is cp932 (Windows-31J) by default", csvResponse.headers()["content-type"]);
    await download(page, () => page.click("#seikyu-csv-cp932"), "billings-cp932.csv");
    await download(page, () => page.click("#seikyu-csv-utf8bom"), "billings-utf8bom.csv");
    ok("the CSV downloads (cp932 and UTF-8 with BOM)");

    await page.selectOption("#seikyu-zip-period", config.period);
    const zip = await download(page, () => page.click("#seikyu-zip input[type=submit]"), "invoices.zip");
    ok(`the ZIP of ${config.period} downloads as ${zip.suggested}`);
    await context.close();
  },

  // A second look within the cache period: the scripts checks it cost the API nothing.
  async cached(b) {
    const context = await session(b, "viewer");
    const page = await context.newPage();
    const response = await page.goto(`${base}${billingPath}`);
    expect(response.status() === 200 && (await page.locator("#seikyu-company-name").innerText()).trim() === config.companyName,
      "the billing page opens again", response.status());
    await context.close();
  },

  // "Reload from the billing service": asked again at once (the script then looks for the 304 the
  // company profile gets, revalidated with the ETag kept in Rails.cache).
  async refresh(b) {
    const context = await session(b, "viewer");
    const page = await context.newPage();
    await page.goto(`${base}${billingPath}`);
    const [response] = await Promise.all([page.waitForNavigation(), page.click("#seikyu-refresh")]);
    expect(response.status() === 200 && (await page.locator("#seikyu-company-name").innerText()).trim() === config.companyName,
      "\"Reload from the billing service\" reads the API again", response.status());
    await context.close();
  },

  // The invoice search (issue date, total, recipient: 電子帳簿保存法): a GET form whose values stay
  // in it; narrowing to the issued invoice finds it alone, a search that excludes it shows no rows,
  // and values the API refuses are named above the form (the page still 200, never a 500).
  async search(b) {
    const context = await session(b, "viewer");
    const page = await context.newPage();
    await page.goto(`${base}${billingPath}`);
    const rows = async () => page.locator("#seikyu-invoices tr.seikyu-invoice").evaluateAll(
      (trs) => trs.map((tr) => tr.getAttribute("data-invoice-number")));
    const values = async () => Promise.all(["#seikyu-issued-from", "#seikyu-issued-to", "#seikyu-min-total", "#seikyu-max-total",
      "#seikyu-recipient"].map((id) => page.inputValue(id)));
    const searchFor = async (fields) => {
      for (const [id, value] of Object.entries(fields)) await page.fill(id, value);
      const [response] = await Promise.all([page.waitForNavigation(), page.click("#seikyu-search-submit")]);
      return response;
    };
    const clear = async () => {
      await Promise.all([page.waitForNavigation(), page.click("#seikyu-search-clear")]);
    };
    const all = await rows();
    expect(all.length === 3 && all.includes(config.invoiceNumber),
      "before a search the page lists the tenant's 3 invoices", all.join(","));

    const total = String(config.totalYen);
    const narrowing = { "#seikyu-issued-from": config.issueDate, "#seikyu-issued-to": config.issueDate,
                        "#seikyu-min-total": total, "#seikyu-max-total": total, "#seikyu-recipient": "いわみ" };
    let response = await searchFor(narrowing);
    let found = await rows();
    expect(response.status() === 200 && found.length === 1 && found[0] === config.invoiceNumber,
      `a search by issue date ${config.issueDate}, total ${config.total} and recipient "いわみ" finds ${config.invoiceNumber} alone`,
      `${response.status()} ${found.join(",")}`);
    const url = new URL(page.url());
    expect(url.searchParams.get("recipient") === "いわみ" && url.searchParams.get("min_total") === total,
      "the search is a GET (its values in the page's URL)", page.url());
    expect(JSON.stringify(await values()) === JSON.stringify(Object.values(narrowing)),
      "the search's values stay in the form after it is submitted", JSON.stringify(await values()));

    await clear();
    response = await searchFor({ "#seikyu-min-total": total });
    found = await rows();
    expect(found.length === 1 && found[0] === config.invoiceNumber,
      `a total from ${config.total} up finds only ${config.invoiceNumber}`, found.join(","));

    await clear();
    response = await searchFor({ "#seikyu-recipient": "しまね" });
    found = await rows();
    expect(response.status() === 200 && found.length === 0 && (await page.locator("#seikyu-invoices p.nodata").count()) === 1 &&
           (await page.locator("#errorExplanation").count()) === 0,
      "a search that excludes every invoice (recipient \"しまね\") shows no rows: 'no data', no error", found.join(","));

    await clear();
    response = await searchFor({ "#seikyu-min-total": "100000", "#seikyu-max-total": "1" });
    let errors = await page.locator("#errorExplanation li").evaluateAll(
      (lis) => lis.map((li) => [li.getAttribute("data-field"), li.textContent.trim()]));
    expect(response.status() === 200 && errors.length === 1 && errors[0][0] === "query.maxTotal" &&
           errors[0][1].startsWith("合計（税込）の上限：") && /minTotal/.test(errors[0][1]) && (await rows()).length === 0,
      "a total range with min > max shows the API's refusal labelled 合計（税込）の上限 above the form (HTTP 200, not 500)",
      `${response.status()} ${JSON.stringify(errors)}`);
    expect((await page.inputValue("#seikyu-min-total")) === "100000" && (await page.inputValue("#seikyu-max-total")) === "1" &&
           (await page.locator("#seikyu-company-name").count()) === 1,
      "... with the values kept in the form and the rest of the page shown");

    await clear();
    response = await searchFor({ "#seikyu-issued-from": "2025-06-02", "#seikyu-issued-to": "2025-06-01" });
    errors = await page.locator("#errorExplanation li").evaluateAll(
      (lis) => lis.map((li) => [li.getAttribute("data-field"), li.textContent.trim()]));
    expect(response.status() === 200 && errors.length === 1 && errors[0][0] === "query.issuedTo" && errors[0][1].startsWith("発行日（まで）："),
      "an issue-date range that ends before it starts is named 発行日（まで） (HTTP 200)", `${response.status()} ${JSON.stringify(errors)}`);

    const crafted = await context.request.get(`${base}${billingPath}?min_total=55%2C000&issued_from=yesterday&recipient=${"長".repeat(101)}`);
    const html = await crafted.text();
    const named = ["query.issuedFrom", "query.minTotal", "query.recipient"].every((f) => html.includes(`data-field="${f}"`));
    expect(crafted.status() === 200 && named,
      "values typed into the URL by hand (55,000; yesterday; 101 characters) are each refused by name, no 500", crafted.status());
    await context.close();
  },

  // With "PDF download: redirect" the link answers 303 to a short-lived presigned URL.
  async redirect(b) {
    const admin = await session(b, "admin");
    const page = await admin.newPage();
    await page.goto(`${base}/settings/plugin/redmine_seikyu`);
    await page.selectOption("#settings_pdf_delivery", "redirect");
    await Promise.all([page.waitForNavigation(), page.click("#settings input[type=submit]")]);

    const viewer = await session(b, "viewer");
    const answer = await viewer.request.get(`${base}${billingPath}/invoices/${config.invoiceNumber}/pdf`, { maxRedirects: 0 });
    const location = answer.headers()["location"] || "";
    expect(answer.status() === 303 && location.startsWith(config.api.endpoint),
      "with PDF delivery set to redirect, the PDF link answers 303 with the presigned Location", `${answer.status()} ${location}`);
    const followed = await viewer.request.get(location);
    expect(followed.status() === 200 && (await followed.body()).subarray(0, 5).toString() === "%PDF-",
      "the presigned Location serves the PDF", followed.status());

    await page.selectOption("#settings_pdf_delivery", "stream");
    await Promise.all([page.waitForNavigation(), page.click("#settings input[type=submit]")]);
    await admin.close();
    await viewer.close();
  },

  // "Sign requests with this server's IAM role": the credentials come from Redmine's environment
  // (here AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY of a second principal; on AWS a task role or an
  // instance profile), none from the settings.
  async host(b) {
    const admin = await session(b, "admin");
    const page = await admin.newPage();
    await page.goto(`${base}/settings/plugin/redmine_seikyu`);
    await page.selectOption("#settings_credentials", "host");
    let result = await connectionTest(page);
    expect(result.outcome === "ok" && result.principal === config.hostPrincipalArn && result.text.includes(config.tenantId),
      "with \"this server's IAM role\", test connection signs with the server's own credentials", JSON.stringify(result));
    await Promise.all([page.waitForNavigation(), page.click("#settings input[type=submit]")]);

    const viewer = await session(b, "viewer");
    const billing = await viewer.newPage();
    const response = await billing.goto(`${base}${billingPath}?refresh=1`);
    expect(response.status() === 200 && (await billing.locator("#seikyu-company-name").innerText()).trim() === config.companyName,
      "... and the billing page reads the API with them", response.status());

    await page.selectOption("#settings_credentials", "keys");
    await Promise.all([page.waitForNavigation(), page.click("#settings input[type=submit]")]);
    result = await connectionTest(page);
    expect(result.outcome === "ok" && result.principal === config.principalArn,
      "switched back, it signs with the saved access key again", JSON.stringify(result));
    await admin.close();
    await viewer.close();
  },

  // A member whose role lacks "View billing" is refused, the page and the downloads alike.
  async forbidden(b) {
    const context = await session(b, "other");
    const page = await context.newPage();
    const response = await page.goto(`${base}${billingPath}`);
    expect(response.status() === 403, "a member whose role lacks the permission gets 403 for the billing page", response.status());
    const pdf = await context.request.get(`${base}${billingPath}/invoices/${config.invoiceNumber}/pdf`);
    expect(pdf.status() === 403, "... and 403 for the PDF", pdf.status());
    expect((await page.locator("#main-menu a.seikyu").count()) === 0, "... and no billing tab in the project menu");
    await context.close();
  },

  // Many exports at once: beyond the usage plan's export burst the gateway answers 429, and the
  // page says to try again shortly (never a 500).
  async throttled(b) {
    const context = await session(b, "viewer");
    const url = `${base}${billingPath}/billings.csv`;
    const answers = await Promise.all(Array.from({ length: 12 }, () => context.request.get(url)));
    const statuses = answers.map((a) => a.status());
    const pages = await Promise.all(answers.filter((a) => a.status() !== 200).map((a) => a.text()));
    const throttled = pages.filter((p) => /data-error="throttled(_soon)?"/.test(p) && p.includes("リクエストが集中しています"));
    expect(statuses.includes(200) && throttled.length > 0 && throttled.length === pages.length && !statuses.includes(500),
      `12 CSV exports at once: beyond the plan's export burst the "throttled" message (HTTP ${[...new Set(statuses.filter((s) => s !== 200))].join(", ")}), no 500`,
      statuses.join(","));
    await context.close();
  },

  // The gateway is stopped: the page says the billing service is unreachable, without a 500.
  async unreachable(b) {
    const context = await session(b, "viewer");
    const page = await context.newPage();
    await page.goto(`${base}${billingPath}`);
    const [response] = await Promise.all([page.waitForNavigation(), page.click("#seikyu-refresh")]);
    const status = response.status();
    const error = page.locator("#seikyu-error");
    const kind = await error.getAttribute("data-error").catch(() => null);
    const message = (await error.innerText().catch(() => "")).trim();
    expect(status !== 500 && status === 502 && kind === "unreachable" && message.includes("接続できません"),
      `reloading from the stopped API shows the "unreachable" message (HTTP ${status}, not 500)`, `${status} ${kind} ${message}`);
    await page.screenshot({ path: path.join(config.docsDir, "redmine-unreachable.png"), fullPage: true });
    ok(`screenshot ${path.join(config.docsDir, "redmine-unreachable.png")}`);
    const pdf = await context.request.get(`${base}${billingPath}/invoices/${config.invoiceNumber}/pdf`);
    expect(pdf.status() === 502 && (await pdf.text()).includes('data-error="unreachable"'),
      "a PDF download while the API is down gets the same message (HTTP 502)", pdf.status());
    await context.close();
  },
};

(async () => {
  if (!phases[phase]) throw new Error(`unknown phase ${phase}; one of ${Object.keys(phases).join(", ")}`);
  const b = await browser();
  try {
    await phases[phase](b);
  } finally {
    await b.close();
  }
})().catch((error) => {
  console.error(`FAIL (${phase}): ${error.message}`);
  process.exit(1);
});
