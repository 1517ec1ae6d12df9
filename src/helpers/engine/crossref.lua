--[[ Quarto's conditional content, figure/table divs and @fig-/@tbl- references, for pandoc.

Used by helpers/render.py's fallback. Metadata: crossref-target ("html" or "typst") picks which
content-visible/content-hidden blocks stay. For typst, relative image paths become
root-relative ("/_generated/x.svg"): render.py compiles with the report folder as typst's root,
so nothing outside it can be read. For HTML, the body goes into a <main> landmark and each
table into a scrollable region a keyboard can reach, as Quarto's own page does.
Figures and tables are numbered here, in document order and separately, so the HTML and the
PDF say the same "Figure 2"; captions read "Figure 2: text" as in Quarto. The structure checks
(duplicate labels, references to missing or unsupported labels, captions) live here only.
]]

local target
local FORMATS = { html = { html = true }, typst = { typst = true } }
local numbers = {}            -- label -> number
local KIND = { fig = "Figure", tbl = "Table" }

local function kind_of(id) return id:match("^(%a+)%-") end

-- The structure checks of the fallback live here, on pandoc's own tree (after conditional
-- content is resolved). An error names the label or reference first ("#fig-a: ..." or
-- "@fig-a: ..."), so render.py can point at the file and line that holds it.
local function fail(token, message) error("crossref.lua: " .. token .. ": " .. message, 0) end

local function keep(div)
  local c = div.classes
  local visible = c:includes("content-visible")
  if not visible and not c:includes("content-hidden") then return nil end
  local when, unless = div.attributes["when-format"], div.attributes["unless-format"]
  local fmt = when or unless
  if fmt == nil or not (fmt == "html" or fmt == "typst") then
    error("crossref.lua: unknown or missing format on " .. (c[1] or "div") .. ": " .. tostring(fmt))
  end
  local matches = FORMATS[target][fmt] == true
  if unless then matches = not matches end
  if not visible then matches = not matches end
  return matches
end

local conditional = {
  Div = function(div)
    local k = keep(div)
    if k == nil then return nil end
    if k then return div.content end
    return {}
  end,
}

local function split_caption(div)
  local blocks = div.content
  local last = blocks[#blocks]
  if last == nil or last.t ~= "Para" then
    fail("#" .. div.identifier, "#" .. div.identifier .. " needs a caption as its last paragraph")
  end
  local body = pandoc.Blocks({})
  for i = 1, #blocks - 1 do body:insert(blocks[i]) end
  return body, last.content
end

local function label(id, caption)
  local prefix = pandoc.Inlines({ pandoc.Str(KIND[kind_of(id)]), pandoc.Space(),
    pandoc.Str(tostring(numbers[id]) .. ":"), pandoc.Space() })
  return prefix .. caption
end

local function figure(div)
  local body, caption = split_caption(div)
  local alt = div.attributes["fig-alt"]
  if alt then
    body = body:walk({ Image = function(img) img.caption = pandoc.Inlines(alt); return img end })
  end
  return pandoc.Figure(body, { long = { pandoc.Plain(label(div.identifier, caption)) } },
    pandoc.Attr(div.identifier))
end

local function table_div(div)
  local body, caption = split_caption(div)
  local found = 0
  body = body:walk({ Table = function(tbl)
    found = found + 1
    tbl.caption = { long = { pandoc.Plain(label(div.identifier, caption)) } }
    tbl.attr = pandoc.Attr(div.identifier)
    return tbl
  end })
  if found ~= 1 then
    fail("#" .. div.identifier, "#" .. div.identifier .. " must hold exactly one table, found " .. found)
  end
  if target == "html" then
    -- As Quarto's page: a figure holding the caption and then the table, which scrolls
    -- inside its own region (styles.css) while the caption stays put. The region needs
    -- keyboard focus and a name to be accessible.
    local inner = body:walk({ Table = function(tbl)
      tbl.caption = { long = {} }
      tbl.attr = pandoc.Attr("")
      return tbl
    end })
    local region = pandoc.Div(inner, pandoc.Attr("", { "table-scroll" },
      { { "tabindex", "0" }, { "role", "region" },
        { "aria-label", pandoc.utils.stringify(caption) } }))
    return pandoc.Figure({ region }, { long = { pandoc.Plain(label(div.identifier, caption)) } },
      pandoc.Attr(div.identifier, { "table-figure" }))
  end
  return body
end

local function reference(cite)
  local out = pandoc.Inlines({})
  for i, c in ipairs(cite.citations) do
    local id = c.id
    if not KIND[kind_of(id) or ""] then
      fail("@" .. id, "unsupported cross reference @" .. id
        .. " (only @fig- and @tbl-; link to sections with [text](#sec-name))")
    end
    if numbers[id] == nil then
      fail("@" .. id, "cross reference @" .. id .. " has no matching label #" .. id)
    end
    if i > 1 then out:insert(pandoc.Str(",")); out:insert(pandoc.Space()) end
    local text = KIND[kind_of(id)] .. "\u{a0}" .. numbers[id]
    out:insert(pandoc.Link(pandoc.Inlines(text), "#" .. id))
  end
  return out
end

local function is_absolute(src)
  return src:match("^/") or src:match("^%a[%w+.-]*:")
end

function Pandoc(doc)
  target = pandoc.utils.stringify(doc.meta["crossref-target"] or "html")
  if FORMATS[target] == nil then error("crossref.lua: unknown crossref-target " .. target) end
  doc = doc:walk(conditional)

  local counts, labels = { fig = 0, tbl = 0 }, {}
  local function label_of(id)
    if labels[id] then fail("#" .. id, "duplicate label #" .. id) end
    labels[id] = true
  end
  doc:walk({
    Div = function(div)
      local k = kind_of(div.identifier)
      if KIND[k] then
        label_of(div.identifier)
        counts[k] = counts[k] + 1
        numbers[div.identifier] = counts[k]
      end
    end,
    Header = function(h) if kind_of(h.identifier) == "sec" then label_of(h.identifier) end end,
  })

  doc = doc:walk({
    Div = function(div)
      local k = kind_of(div.identifier)
      if k == "fig" then return figure(div) end
      if k == "tbl" then return table_div(div) end
    end,
    Cite = reference,
    Image = function(img)
      if target == "typst" and not is_absolute(img.src) then img.src = "/" .. img.src end
      return img
    end,
  })
  if target == "html" then
    doc.blocks:insert(1, pandoc.RawBlock("html", '<main id="main">'))
    doc.blocks:insert(pandoc.RawBlock("html", "</main>"))
  end
  return doc
end
