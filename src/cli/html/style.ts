/** The report page's stylesheet, inlined: the page must work offline, from a file. */
export const STYLE = `
:root {
  --bg: #f6f7f9; --panel: #ffffff; --ink: #1d2330; --muted: #667085; --line: #e4e7ec;
  --accent: #d92d20; --accent-soft: #fee4e2; --code-bg: #0f172a; --code-ink: #e2e8f0;
  --app: #1d2330; --dep: #7a5af8; --node: #98a2b3; --hl: #fff4d6;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #0b0f17; --panel: #121826; --ink: #e6e9ef; --muted: #98a2b3; --line: #242c3d;
    --accent: #f97066; --accent-soft: #3b1a1a; --code-bg: #060a12; --app: #e6e9ef; --hl: #3a3214; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 var(--sans); }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 64px; }
header.top { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; margin-bottom: 18px; }
header.top h1 { font-size: 22px; margin: 0; letter-spacing: -0.01em; }
header.top h1 .logo { color: var(--accent); }
.meta { color: var(--muted); font-size: 13px; }
h2 { font-size: 17px; margin: 34px 0 12px; }
h2 small { color: var(--muted); font-weight: 400; font-size: 13px; margin-left: 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .06em; }
.card .value { font-size: 26px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; }
.card.alert .value { color: var(--accent); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px; overflow-x: auto; }
.timeline svg { display: block; width: 100%; height: auto; }
.timeline .axis { stroke: var(--line); }
.timeline text { fill: var(--muted); font: 11px var(--sans); }
.timeline a rect { transition: opacity .15s; }
.timeline a:hover rect { opacity: .7; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; margin-top: 10px; font-size: 12px; color: var(--muted); }
.legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; background: var(--c); vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 9px 10px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .05em; }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:hover { background: var(--hl); }
td a { color: inherit; text-decoration: none; }
td a:hover { text-decoration: underline; }
.loc { font-family: var(--mono); font-size: 13px; }
.fn { color: var(--muted); font-family: var(--mono); font-size: 12px; }
.bar { position: relative; min-width: 140px; }
.bar i { position: absolute; left: 0; top: 50%; height: 6px; margin-top: 8px; border-radius: 3px; background: var(--accent); opacity: .55; }
.kind { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; background: var(--c); white-space: nowrap; }
.phase { font-size: 11px; border: 1px solid var(--muted, #98a2b3); color: var(--muted, #667085); padding: 0 5px; border-radius: 4px; margin-left: 4px; }
.api { font-family: var(--mono); font-size: 12px; background: var(--accent-soft); color: var(--accent); padding: 1px 6px; border-radius: 4px; }
.site { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; margin: 16px 0; overflow: hidden; }
.site > header { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; padding: 12px 16px; border-bottom: 1px solid var(--line); }
.site > header .rank { font-weight: 700; color: var(--accent); }
.site > header .loc { font-size: 14px; font-weight: 600; }
.site > header .stats { margin-left: auto; color: var(--muted); font-size: 13px; }
.site .body { padding: 14px 16px; display: grid; gap: 14px; }
.source { font: 13px/1.6 var(--mono); background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 8px 0; overflow-x: auto; }
.source div { white-space: pre; padding: 0 12px; }
.source .n { display: inline-block; min-width: 3.5em; color: var(--muted); user-select: none; }
.source .cur { background: var(--accent-soft); box-shadow: inset 3px 0 var(--accent); }
.advice { border-left: 3px solid #12b76a; padding: 2px 0 2px 14px; }
.advice h3, .stacks h3, .panel h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 6px; }
.advice p { margin: 6px 0; }
.advice code, .advice p code { font-family: var(--mono); font-size: 13px; }
.codeblock { position: relative; }
.codeblock pre { background: var(--code-bg); color: var(--code-ink); font: 13px/1.55 var(--mono); padding: 12px 14px; border-radius: 8px; overflow-x: auto; margin: 8px 0; }
.codeblock button { position: absolute; top: 6px; right: 6px; font: 12px var(--sans); border: 1px solid #334155; background: #1e293b; color: #cbd5e1; border-radius: 6px; padding: 2px 8px; cursor: pointer; }
.stacks { display: grid; gap: 10px; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
ol.stack { margin: 0; padding: 0; list-style: none; font: 12.5px/1.65 var(--mono); }
ol.stack li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
ol.stack li.app { color: var(--app); font-weight: 600; }
ol.stack li.dependency { color: var(--dep); }
ol.stack li.node, ol.stack li.loopwatch { color: var(--node); }
ol.stack .where { color: var(--muted); font-weight: 400; }
details.sample { border-top: 1px dashed var(--line); padding: 4px 0; }
details.sample summary { cursor: pointer; font: 12.5px var(--mono); }
details.sample summary .t { color: var(--muted); display: inline-block; min-width: 5.5em; }
.spread { font-size: 13px; margin: 4px 0 8px; }
.spread div { display: flex; align-items: center; gap: 8px; }
.spread i { display: inline-block; height: 8px; background: #12b76a; border-radius: 4px; }
.empty { color: var(--muted); font-style: italic; }
.note { color: var(--muted); font-size: 13px; margin-top: 10px; }
.busy { margin-top: 10px; padding: 8px 10px; border-left: 3px solid var(--accent); }
footer { margin-top: 48px; color: var(--muted); font-size: 12px; text-align: center; }
`;
