/// The frame of every page: header with breadcrumbs, the style sheet (inline: the pages work
/// offline and load nothing from elsewhere) and the small script that follows a run's events.
enum Layout {
  static func page(title: String, crumbs: [(String, String)], body: String, script: String = "") -> String {
    let trail = ([("/", "goldfish")] + crumbs).map { HTML.link($0.0, $0.1) }.joined(separator: " <span>/</span> ")
    return """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(HTML.escape(title)) · goldfish</title>
      <link rel="icon" href="data:,">
      <style>\(style)</style></head>
      <body><header><nav>\(trail)</nav></header><main>\(body)</main>\(script.isEmpty ? "" : "<script>\(script)</script>")</body></html>
      """
  }

  static let style = """
    :root{--fg:#1d2433;--muted:#667085;--line:#e4e7ec;--bg:#f7f8fa;--card:#fff;--accent:#2f6fed;--ok:#12805c;--bad:#c4320a;--warn:#b54708}
    *{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
    header{background:#101828;color:#fff;padding:10px 24px}header a{color:#fff;text-decoration:none;font-weight:600}header span{color:#98a2b3}
    main{max-width:1200px;margin:0 auto;padding:20px 24px}h1{font-size:22px;margin:4px 0 12px}h2{font-size:16px;margin:24px 0 8px}
    a{color:var(--accent)}.card{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin:12px 0}
    .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:12px}
    table{border-collapse:collapse;width:100%;background:var(--card)}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
    th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
    pre{background:#0f1522;color:#e6e9ef;padding:10px 12px;border-radius:6px;overflow:auto;max-height:420px;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}
    code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f5;padding:1px 4px;border-radius:4px}
    .muted,.hint{color:var(--muted)}.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#eef1f5}
    .s-running,.s-launching,.s-building,.s-preparing,.s-post_run{background:#e0eaff;color:#1d4ed8}.s-completed{background:#dcfae6;color:var(--ok)}
    .s-failed,.s-terminated{background:#fee4e2;color:var(--bad)}.s-awaiting_user_finalization{background:#fef0c7;color:var(--warn)}
    .alert{border-left:4px solid var(--bad)}.kv td:first-child{color:var(--muted);width:180px}
    .md h1{font-size:18px}.md h2{font-size:15px}.md h3{font-size:14px}
    .chart{width:100%;max-width:640px;height:auto;background:var(--card)}.chart text{font:11px system-ui,sans-serif;fill:var(--muted)}
    .legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:3px;margin-right:5px;vertical-align:middle}
    .timeline{list-style:none;padding:0;margin:0;border-left:2px solid var(--line)}.timeline li{padding:4px 0 4px 14px;position:relative}
    .timeline li:before{content:"";position:absolute;left:-6px;top:10px;width:10px;height:10px;border-radius:50%;background:var(--accent)}
    .added{color:var(--ok)}.removed{color:var(--bad)}.changed{color:var(--warn)}
    svg.lineage a:hover rect{stroke:var(--accent);stroke-width:2}
    form.inline{display:flex;gap:8px;align-items:center;flex-wrap:wrap}select,input,button{font:inherit;padding:3px 6px}
    """

  /// Follows `/events` of the page: `log` appends to #log, `metrics` reloads #charts from
  /// `chartsURL`, `state` updates #state. One EventSource; the browser reconnects it by itself.
  static func followScript(events: String, chartsURL: String?) -> String {
    """
    (function(){var es=new EventSource(\(jsString(events)));
    es.addEventListener('log',function(e){var d=JSON.parse(e.data),p=document.getElementById('log');if(!p)return;
    var atEnd=p.scrollTop+p.clientHeight>=p.scrollHeight-4;p.textContent+=d.text;if(atEnd)p.scrollTop=p.scrollHeight;
    document.body.dataset.logUpdates=(+(document.body.dataset.logUpdates||0)+1);});
    es.addEventListener('state',function(e){var d=JSON.parse(e.data),s=document.getElementById('state');
    if(s){s.innerHTML='';var b=document.createElement('span');b.className='badge s-'+d.state;b.textContent=d.state.replace(/_/g,' ');s.appendChild(b);}});
    \(chartsURL.map { url in
      "es.addEventListener('metrics',function(){fetch(\(jsString(url)),{credentials:'same-origin'}).then(function(r){return r.text();})"
        + ".then(function(t){var c=document.getElementById('charts');if(c){c.innerHTML=t;"
        + "document.body.dataset.chartUpdates=(+(document.body.dataset.chartUpdates||0)+1);}});});"
    } ?? "")
    es.addEventListener('changed',function(){location.reload();});
    es.addEventListener('end',function(){es.close();document.body.dataset.ended='1';});
    window.addEventListener('beforeunload',function(){es.close();});})();
    """
  }

  static func jsString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "<": out += "\\u003c"
      default:
        if scalar.value < 0x20 {
          out += String(format: "\\u%04x", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}
