// A small quote-to-cash integration in JavaScript (Node >= 18, no dependencies), serving the
// q2c design protocol (contracts/design.yaml) for a simple firm: time and materials only, one
// currency with two decimals, no milestones, expenses, change orders, purchase orders or
// service credits. Run it, then point the sandbox at it:
//
//   node examples/node-integration/integration.mjs --port 8200 &
//   q2c run examples/node-integration/scenario.yaml --integration http://127.0.0.1:8200
//
// What it does, as the reference core does it (orchestrator/):
//   CRM closed-won webhook   -> read the opportunity and account, launch the SOW workflow (CLM)
//   CLM workflow_completed   -> read the workflow's record, create the ERP customer, the PSA workspace and
//                               its rate cards, activate the workspace
//   PSA timesheet approved   -> read the entries, price each one (minutes x rate / 60, rounded
//                               once by the contract's rule), keep it pending. Kantata pushes
//                               no webhooks: the approvals come from polling its change feed,
//                               Subscribed Events, at most hourly in simulated time (when the
//                               sandbox calls, and always before a billing run), from the last
//                               read less 30 minutes (events appear late), skipping seen ids
//   POST /billing-runs       -> per contract, one invoice of everything due by the period's
//                               end: tax from the engine, the ERP invoice (looked for first by
//                               its reference), posted, tax committed, PSA marked, sent
// It learns where the vendors are from POST /_sandbox/vendors and waits out a 429/503 on the
// sandbox's clock (POST {clock}/sleep), so a vendor outage passes in simulated time. It checks
// every signed webhook with what that document's `webhooks` hands it (Stripe's endpoint secret,
// Ironclad's public key) and answers 400 to one that does not verify: forged, altered or stale.
//
// Q2C_NODE_BUG=drop-first-entry breaks it on purpose (the first approved entry is never
// billed): the oracle must name the leaked item.

import crypto from "node:crypto";
import http from "node:http";
import { Num, parse, stringify } from "./exact-json.mjs";
import { hours, minorUnits, subtract, timeAmount } from "./money.mjs";

const TOKEN_PATHS = { crm: "/services/oauth2/token", clm: "/oauth/token", psa: "/oauth/token",
  erp: "/oauth2/v2.0/token", tax: "/connect/token" };
const SCOPES = {
  crm: "crm:records.read",
  clm: "public.records.readRecords public.workflows.readWorkflows public.workflows.createWorkflows",
  psa: "psa:workspaces.read psa:workspaces.write psa:rates.read psa:rates.write " +
    "psa:people.read psa:time.read psa:invoices.read psa:invoices.write psa:events.read",
  erp: "erp:companies.read erp:customers.read erp:customers.write erp:invoices.read " +
    "erp:invoices.write",
  tax: "tax:transactions.write",
};
const API = { crm: "/services/data/v60.0", clm: "/public/api/v1", psa: "/api/v1",
  erp: "/api/v2.0", tax: "/api/v2" };
const BUG = process.env.Q2C_NODE_BUG || "";

let sandbox = null; // POST /_sandbox/vendors
const tokens = {};
const seen = new Set(); // webhook event ids handled (vendors deliver at least once)
const deals = new Map(); // opportunity id -> deal
const contracts = new Map(); // workspace id -> contract
const pending = new Map(); // source id -> item
const billed = new Set();
const exceptions = [];
let dropped = false;
let now = null; // the simulated time, from the Date header of the sandbox's latest message

function observe(headers) {
  const date = headers.get ? headers.get("date") : headers.date;
  const at = date ? new Date(date) : null;
  if (at && !Number.isNaN(at.getTime()) && (!now || at > now)) now = at;
}

// An item held, with why (contracts/design.yaml: Exception); the oracle reads the open ones.
function hold(reason, item, detail, items) {
  exceptions.push({ status: "open", reason, item, detail: String(detail),
    at: (now || new Date(0)).toISOString(), ...(items ? { items } : {}) });
}
let billing = Promise.resolve();
const FEED_EVERY_MS = 3600 * 1000; // simulated time between two reads of the PSA's feed
const FEED_OVERLAP_MS = 30 * 60 * 1000; // read back this far: events may appear late
let feedMark = null; // the simulated moment the last successful feed read began
let feedPolled = null; // when the last read was started
let feed = Promise.resolve(); // one read at a time

class VendorError extends Error {
  constructor(vendor, method, path, status, body) {
    super(`${vendor} ${method} ${path} -> ${status}: ${body.slice(0, 300)}`);
    this.status = status;
  }
}

// Wait `seconds` of simulated time: the sandbox answers once its clock got there (and skips
// to it while nothing else happens). A sleep on the wall clock would let simulated time jump.
async function sleepOnClock(seconds) {
  const response = await fetch(`${sandbox.clock}/sleep`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ seconds }),
  });
  await response.text();
}

async function token(vendor) {
  if (tokens[vendor]) return tokens[vendor];
  const form = new URLSearchParams({ grant_type: "client_credentials",
    client_id: sandbox.client_id, client_secret: sandbox.client_secret, scope: SCOPES[vendor] });
  const response = await fetch(sandbox.vendors[vendor] + TOKEN_PATHS[vendor], {
    method: "POST", body: form.toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
  });
  const text = await response.text();
  if (response.status !== 200) throw new VendorError(vendor, "POST", "token", response.status, text);
  tokens[vendor] = parse(text).access_token;
  return tokens[vendor];
}

// One vendor call: JSON in and out, the bearer token, retried on 429/503/401 (a 401 renews
// the token), waiting on the sandbox's clock between tries.
async function call(vendor, method, path, { body, query } = {}) {
  const url = new URL(sandbox.vendors[vendor] + API[vendor] + path);
  for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, v);
  for (let attempt = 1; ; attempt++) {
    const headers = { authorization: `Bearer ${await token(vendor)}`, accept: "application/json",
      "x-tenant": sandbox.tenant, "x-attempt": String(attempt) };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(url, { method, headers,
      body: body === undefined ? undefined : stringify(body) });
    const text = await response.text();
    observe(response.headers);
    if (response.status < 400) return text ? parse(text) : null;
    if (response.status === 401) delete tokens[vendor];
    if (![401, 429, 503].includes(response.status) || attempt >= 8) {
      throw new VendorError(vendor, method, path, response.status, text);
    }
    await sleepOnClock(Math.min(60 * 2 ** attempt, 3600));
  }
}

async function psaAll(path, query) {
  const rows = [];
  const side = {};
  const kind = path.split("/")[1];
  for (let page = 1; ; page++) {
    const body = await call("psa", "GET", path, { query: { ...query, page, per_page: 200 } });
    for (const ref of body.results) rows.push(body[kind][ref.id]);
    for (const [name, records] of Object.entries(body)) {
      if (![kind, "results", "count", "meta"].includes(name)) side[name] = { ...side[name], ...records };
    }
    if (page >= Number(body.meta.page_count)) return { rows, side };
  }
}

// -- the flows ------------------------------------------------------------------------------

// Kantata's Subscribed Events (GET /api/v1/subscribed_events): approvals as
// timesheet_submission:updated events, possibly duplicated (another id, same change) or late.
function pollFeed() {
  feedPolled = now;
  feed = feed.then(readFeed).catch((error) => hold("feed_failed", "psa feed", error));
  return feed;
}

async function readFeed() {
  const started = now;
  const query = { event_types: "timesheet_submission:updated", include: "subject" };
  if (feedMark) query.created_after = new Date(feedMark.getTime() - FEED_OVERLAP_MS).toISOString();
  const { rows, side } = await psaAll("/subscribed_events", query);
  for (const event of rows) {
    const change = `psa:${event.subject_id}:${event.subject_changed_at}`;
    if (seen.has(`psa:${event.id}`) || seen.has(change)) continue;
    seen.add(`psa:${event.id}`);
    const ref = event.subject_ref;
    const subject = ref && (side[ref.key] || {})[ref.id];
    if (!subject || subject.status !== "approved") continue; // made or rejected: nothing to bill
    seen.add(change);
    await onTimesheet(String(event.subject_id))
      .catch((error) => hold("flow_failed", `timesheet ${event.subject_id}`, error));
  }
  if (started) feedMark = started;
}

async function onDeal(opportunityId) {
  const opportunity = await call("crm", "GET", `/sobjects/Opportunity/${opportunityId}`);
  if (!opportunity.IsWon) return;
  const account = await call("crm", "GET", `/sobjects/Account/${opportunity.AccountId}`);
  deals.set(opportunityId, account);
  const attributes = { counterpartyName: account.Name, opportunityId };
  if (opportunity.Amount != null) attributes.agreementValue = opportunity.Amount;
  if (opportunity.CurrencyIsoCode) attributes.currency = opportunity.CurrencyIsoCode;
  await call("clm", "POST", "/workflows", { body: { template: "statementOfWork", attributes } });
}

async function onContract(recordId) {
  const record = await call("clm", "GET", `/records/${recordId}`);
  if (record.parentLinkType === "amendment") return; // a change order: this example bills SOWs only
  const props = Object.fromEntries(Object.entries(record.properties).map(([k, p]) => [k, p.value]));
  const companies = (await call("erp", "GET", "/companies")).value;
  const found = companies.find((c) => c.name === props.legalEntity);
  // where the company is (the tax engine's ship-from) is in its companyInformation
  const info = (await call("erp", "GET", `/companies(${found.id})/companyInformation`)).value[0];
  const company = { ...found, countryCode: info.country, region: info.state };
  const account = deals.get(props.opportunityId) ||
    await call("crm", "GET", `/sobjects/Account/${(await call("crm", "GET",
      `/sobjects/Opportunity/${props.opportunityId}`)).AccountId}`);
  const customers = `/companies(${company.id})/customers`;
  const name = props.counterpartyName.slice(0, 100);
  let customer = (await call("erp", "GET", customers,
    { query: { $filter: `displayName eq '${name.replaceAll("'", "''")}'` } })).value[0];
  if (!customer) {
    const body = { displayName: name, country: props.counterpartyCountry,
      currencyCode: props.contractCurrency };
    if (account.BillingStreet) body.addressLine1 = account.BillingStreet;
    if (account.BillingCity) body.city = account.BillingCity;
    if (account.BillingState) body.state = account.BillingState; // BC's AvaTax connector taxes by it
    if (account.BillingPostalCode) body.postalCode = account.BillingPostalCode;
    if (props.counterpartyTaxId) body.taxRegistrationNumber = props.counterpartyTaxId;
    customer = await call("erp", "POST", customers, { body });
  }
  const versions = record.versions.map((v) => ({ id: `${record.id}/v${v.number}`,
    number: Number(v.number), effective: v.effectiveDate, rates: v.rateCard }));
  const start = versions.map((v) => v.effective).sort()[0];
  const created = await call("psa", "POST", "/workspaces", { body: { workspace: {
    title: `${props.sowReference} ${props.counterpartyName}`, currency: props.contractCurrency,
    start_date: start, status: "In Planning", external_reference: { service_name: "node-example",
      service_model: "Contract", service_model_ref: props.sowReference } } } });
  const workspaceId = String(created.results[0].id);
  const roles = Object.fromEntries((await psaAll("/roles", {})).rows.map((r) => [r.name, r.id]));
  // Kantata rate cards: a set of the contract's own, its card in the contract currency (the
  // workspace bills by it), a dated set version per contract version (Kantata makes the card's
  // version there), and each rate in cents per hour on the role of its role and country
  // ("<role> (<country>)": a rate card role has no location).
  const set = await call("psa", "POST", "/rate_card_sets",
    { body: { rate_card_set: { title: props.sowReference } } });
  const setId = Number(set.results[0].id);
  const card = await call("psa", "POST", "/rate_cards",
    { body: { rate_card: { rate_card_set_id: setId, currency: props.contractCurrency } } });
  const cardId = String(card.results[0].id);
  await call("psa", "PUT", `/workspaces/${workspaceId}`,
    { body: { workspace: { rate_card_id: Number(cardId) } } });
  for (const v of versions) {
    const made = await call("psa", "POST", "/rate_card_set_versions", { query: { include: "rate_card_versions" },
      body: { rate_card_set_version: { rate_card_set_id: setId, effective_date: v.effective } } });
    const cardVersion = Object.values(made.rate_card_versions).find((x) => String(x.rate_card_id) === cardId);
    for (const line of v.rates) {
      await call("psa", "POST", "/rate_card_roles", { body: { rate_card_role: {
        rate_card_version_id: Number(cardVersion.id), role_id: Number(roles[`${line.role} (${line.country})`]),
        rate: new Num(minorUnits(line.hourlyRate, 2)) } } });
    }
  }
  await call("psa", "PUT", `/workspaces/${workspaceId}`, { body: { workspace: { status: "In Progress" } } });
  contracts.set(workspaceId, { workspaceId, recordId: record.id, reference: props.sowReference, company,
    entity: props.legalEntity, customer, region: account.BillingState || null,
    currency: props.contractCurrency, rounding: props.roundingRule,
    terms: Number(props.paymentTermsDays ?? 30), versions });
}

async function onTimesheet(submissionId) {
  const body = await call("psa", "GET", `/timesheet_submissions/${submissionId}`);
  const submission = body.timesheet_submissions[submissionId];
  if (submission.status !== "approved") return;
  const { rows, side } = await psaAll("/time_entries",
    { with_timesheet_id: submissionId, include: "user,role" });
  for (const row of rows) {
    const key = `psa:time_entry:${row.id}`;
    if (!row.billable || pending.has(key) || billed.has(key)) continue;
    const contract = contracts.get(String(row.workspace_id));
    if (!contract) {
      hold("unknown_project", key, `workspace ${row.workspace_id} is not known`);
      continue;
    }
    if (BUG === "drop-first-entry" && !dropped) {
      dropped = true;
      continue;
    }
    const user = side.users[row.user_id];
    const role = side.roles[row.role_id].name.replace(/ \([A-Z]{2}\)$/, ""); // "<role> (<country>)"
    const version = contract.versions.filter((v) => v.effective <= row.date_performed).at(-1);
    const rate = version?.rates.find((r) => r.role === role && r.country === user.country);
    if (!rate) {
      hold("unpriced", key, `no rate for ${role} in ${user.country} on ${row.date_performed}`);
      continue;
    }
    // Business Central computes a line's amount (quantity x unit price, rounded half up); a
    // contract that rounds half even bills a cent less on some lines: a line discount says so.
    // What the line bills heads its description (BC has no field for it).
    const amount = timeAmount(row.time_in_minutes, rate.hourlyRate, 2, contract.rounding);
    const discount = subtract(timeAmount(row.time_in_minutes, rate.hourlyRate, 2, "half_up"), amount);
    const text = `${row.date_performed} ${user.full_name}, ${role} (${user.country})`;
    pending.set(key, { key, contract, date: row.date_performed, psaId: String(row.id), amount, line: {
      lineType: "Account", lineObjectNumber: "40100",
      description: `[${key}@${version.id}] ${text}`.slice(0, 100),
      quantity: new Num(hours(row.time_in_minutes)),
      unitPrice: rate.hourlyRate,
      ...(discount !== "0.00" ? { discountAmount: new Num(discount) } : {}) } });
  }
}

function periodEnd(period) {
  const [year, month] = period.split("-").map(Number);
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
}

async function billingRun(period, invoiceDate) {
  const byContract = new Map();
  for (const item of [...pending.values()].sort((a, b) =>
    a.date < b.date ? -1 : a.date > b.date ? 1 : a.key < b.key ? -1 : 1)) {
    if (item.date > periodEnd(period)) continue;
    if (!byContract.has(item.contract.reference)) byContract.set(item.contract.reference, []);
    byContract.get(item.contract.reference).push(item);
  }
  for (const [reference, items] of byContract) {
    try {
      await invoice(reference, items, period, invoiceDate);
    } catch (error) {
      hold("billing_failed", `invoice:${reference}:${period}`, error, items.map((i) => i.key));
    }
  }
}

async function invoice(reference, items, period, invoiceDate) {
  const c = items[0].contract;
  const code = `${reference}-${period}`.slice(-50);
  await call("tax", "POST", "/transactions/createoradjust", { body: {
    createTransactionModel: { type: "SalesInvoice", code, companyCode: c.entity,
      date: invoiceDate, customerCode: c.customer.id.slice(0, 50), currencyCode: c.currency,
      addresses: { shipFrom: { country: c.company.countryCode, ...(c.company.region ? { region: c.company.region } : {}) },
        shipTo: { country: c.customer.country, ...(c.region ? { region: c.region } : {}) } },
      lines: items.map((item, n) => ({ number: String(n + 1), quantity: new Num("1"),
        amount: new Num(item.amount), description: item.line.description })),
      commit: false },
    adjustmentReason: "Other", adjustmentDescription: "invoice re-assessed before posting" } });
  // the tax is Business Central's to compute (its AvaTax connector asks the same engine): the
  // lines go without it; the document above is the tax the integration records and commits
  const lines = items.map((item) => item.line);
  const invoices = `/companies(${c.company.id})/salesInvoices`;
  const key = `${period} ${reference}`.slice(0, 35);
  let created = (await call("erp", "GET", invoices,
    { query: { $filter: `customerPurchaseOrderReference eq '${key.replaceAll("'", "''")}'` } })).value[0];
  if (!created) {
    const due = new Date(Date.parse(`${invoiceDate}T00:00:00Z`) + c.terms * 86400000);
    created = await call("erp", "POST", invoices, { body: { customerId: c.customer.id,
      invoiceDate, currencyCode: c.currency, customerPurchaseOrderReference: key, externalDocumentNumber: null,
      dueDate: due.toISOString().slice(0, 10), salesInvoiceLines: lines } });
  }
  if (created.status !== "Open" && created.status !== "Paid") {
    await call("erp", "POST", `${invoices}(${created.id})/Microsoft.NAV.post`);
  }
  for (const item of items) {
    pending.delete(item.key);
    billed.add(item.key);
  }
  await call("tax", "POST", `/companies/${c.entity}/transactions/${code}/commit`, { body: { commit: true } });
  await call("psa", "POST", "/invoices", { body: { invoice: { workspace_id: Number(c.workspaceId),
    invoice_date: invoiceDate, external_reference: { service_name: "node-example",
      service_model: "SalesInvoice", service_model_ref: created.number }, time_entry_ids: items.map((i) => i.psaId),
    billing_milestone_ids: [], expense_ids: [] } } });
  await call("erp", "POST", `${invoices}(${created.id})/Microsoft.NAV.send`);
}

// -- the experience endpoints ---------------------------------------------------------------

function spawn(name, work) {
  work().catch((error) => {
    hold("flow_failed", name, error);
    console.error(`${name}: ${error.stack || error}`);
  });
}

// Stripe signs each delivery `Stripe-Signature: t=<unix s>,v1=<hex>`, an HMAC-SHA256 of
// "<t>.<raw body>" keyed with the endpoint's secret (docs.stripe.com/webhooks#verify-manually):
// compare in constant time, over the raw bytes (not re-serialised JSON), and refuse a `t` more
// than the tolerance (Stripe's libraries: 300 s) from now, here the simulated now of the
// request's Date header. Returns why it is refused, or null.
function stripeProblem(header, raw, at) {
  const keys = (sandbox.webhooks || {}).payments;
  if (!keys || !keys.secret) return null; // not given a secret: nothing to check against
  if (!header) return "no Stripe-Signature header";
  let t = null;
  const v1 = [];
  for (const item of header.split(",")) {
    const eq = item.indexOf("=");
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === "t" && /^\d+$/.test(value)) t = Number(value);
    else if (key === "v1") v1.push(value);
  }
  if (t === null || v1.length === 0) return "Stripe-Signature has no t= or no v1=";
  const expected = crypto.createHmac("sha256", keys.secret).update(`${t}.`).update(raw).digest();
  const matches = v1.some((hex) => {
    const given = Buffer.from(hex, "hex");
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
  if (!matches) return "no v1 signature matches the body";
  const tolerance = keys.tolerance_s ?? 300;
  if (!at || Math.abs(at.getTime() / 1000 - t) > tolerance) return `t=${t} is outside ${tolerance} s`;
  return null;
}

// Ironclad signs with RSA-SHA256 over event id + raw body + nonce; the headers carry the event
// id and {nonce, signAlgorithm, signature, encoding} (developer.ironcladapp.com/reference/
// webhook-verification); the public key came in POST /_sandbox/vendors.
function ironcladProblem(headers, raw) {
  const key = ((sandbox.webhooks || {}).clm || {}).public_key;
  if (!key) return null;
  const eventId = headers["x-ironclad-webhook-event-id"];
  const verification = headers["x-ironclad-webhook-verification"];
  if (!eventId || !verification) return "no Ironclad signature headers";
  let fields;
  try {
    fields = JSON.parse(verification);
  } catch {
    return "malformed X-Ironclad-Webhook-Verification";
  }
  const signed = Buffer.concat([Buffer.from(eventId), raw, Buffer.from(String(fields.nonce))]);
  const ok = crypto.verify("sha256", signed, key, Buffer.from(String(fields.signature), "base64"));
  return ok ? null : "the Ironclad signature does not verify";
}

function answer(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body === undefined ? "" : JSON.stringify(body));
}

function route(method, path, body, headers = {}, raw = Buffer.alloc(0)) {
  if (method === "POST" && path === "/_sandbox/vendors") {
    sandbox = body;
    for (const k of Object.keys(tokens)) delete tokens[k];
    return [200, { design: "node-example" }];
  }
  if (!sandbox) return [503, { title: "no vendors yet: POST /_sandbox/vendors" }];
  if (now && (!feedPolled || now - feedPolled >= FEED_EVERY_MS)) pollFeed();
  if (method === "GET" && path === "/status") {
    return [200, { pending_items: pending.size, billed_items: billed.size, exceptions }];
  }
  if (method === "GET" && path === "/exceptions") return [200, { exceptions }];
  if (method === "POST" && path === "/reconciliations") return [202, { accepted: true }];
  if (method === "POST" && path === "/billing-runs") {
    const { period, invoiceDate } = body;
    if (!/^\d{4}-\d{2}$/.test(period || "") || !/^\d{4}-\d{2}-\d{2}$/.test(invoiceDate || "")) {
      return [400, { title: "period YYYY-MM and invoiceDate YYYY-MM-DD required" }];
    }
    billing = billing.then(() => pollFeed()).then(() => billingRun(period, invoiceDate))
      .catch((e) => console.error(e));
    return [202, { accepted: true, period }];
  }
  const hook = /^\/webhooks\/(crm|clm|payments)$/.exec(path);
  if (method === "POST" && hook) {
    const vendor = hook[1];
    const at = headers.date ? new Date(headers.date) : null;
    const problem = vendor === "payments" ? stripeProblem(headers["stripe-signature"], raw, at)
      : vendor === "clm" ? ironcladProblem(headers, raw) : null;
    if (problem) {
      console.error(`refused a ${vendor} webhook: ${problem}`);
      return [400, { title: "Bad Request", detail: `${vendor} webhook signature: ${problem}` }];
    }
    if (vendor === "crm") {
      for (const note of body.Notification) {
        if (seen.has(`crm:${note.Id}`)) continue;
        seen.add(`crm:${note.Id}`);
        spawn(`deal ${note.sObject.Id}`, () => onDeal(note.sObject.Id));
      }
    } else if (vendor === "clm" && body.payload.event === "workflow_completed") {
      const workflowId = body.payload.workflowID; // Ironclad names the workflow, not the record
      const id = `clm:${workflowId}`;
      if (!seen.has(id)) {
        seen.add(id);
        spawn(`contract ${workflowId}`, async () =>
          onContract((await call("clm", "GET", `/workflows/${workflowId}`)).recordIds[0]));
      }
    }
    return [202, { accepted: true }];
  }
  return [404, { title: "Not Found", detail: path }];
}

const port = Number(process.argv[process.argv.indexOf("--port") + 1] || 8200);
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    try {
      observe(req.headers);
      const raw = Buffer.concat(chunks);
      const text = raw.toString("utf8");
      const [status, body] = route(req.method, new URL(req.url, "http://x").pathname,
        text ? parse(text) : {}, req.headers, raw);
      answer(res, status, body);
    } catch (error) {
      answer(res, 400, { title: "Bad Request", detail: String(error) });
    }
  });
}).listen(port, "127.0.0.1", () => console.log(`node integration on http://127.0.0.1:${port}`));
