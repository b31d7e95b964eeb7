<?xml version="1.0" encoding="utf-8"?>
<!-- A feed, opened in a browser, shown as a page: what a feed is, how to subscribe, and
     the newest entries. Feed readers never apply it. Every feed of the site names this
     file in an <?xml-stylesheet?> instruction, by a path relative to the feed, so the
     site's stylesheet is found beside it the same way. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat"/>

  <!-- "../../theme/feed.xsl" → "../../theme/": where the theme's files are. -->
  <xsl:variable name="pi" select="/processing-instruction('xml-stylesheet')"/>
  <xsl:variable name="theme" select="substring-before(substring-after($pi, 'href=&quot;'), 'feed.xsl')"/>
  <xsl:variable name="self" select="(/atom:feed/atom:link[@rel='self']/@href | /rss/channel/atom:link[@rel='self']/@href)[1]"/>
  <xsl:variable name="page" select="(/atom:feed/atom:link[@rel='alternate'][@type='text/html']/@href | /rss/channel/link)[1]"/>
  <xsl:variable name="title" select="(/atom:feed/atom:title | /rss/channel/title)[1]"/>

  <xsl:template match="/">
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="color-scheme" content="light dark"/>
        <title><xsl:value-of select="$title"/> (feed)</title>
        <link rel="stylesheet" href="{$theme}css/colloquy.css"/>
        <link rel="icon" href="{$theme}favicon.svg" type="image/svg+xml"/>
      </head>
      <body>
        <main id="main" class="feed-preview">
          <p class="notice feed-about">This is a <strong>feed</strong>: a page made for feed readers.
            Copy its address into your feed reader, and it brings you each new entry as it is
            published, with nothing to sign up for and no one else in between.</p>
          <h1><xsl:value-of select="$title"/></h1>
          <p class="meta"><xsl:value-of select="(/atom:feed/atom:subtitle | /rss/channel/description)[1]"/></p>
          <h2>How to subscribe</h2>
          <ol class="feed-steps">
            <li>Copy this address: <code class="feed-address"><xsl:value-of select="$self"/></code></li>
            <li>Paste it into your feed reader (“add feed”, “subscribe” or “+”). Any reader
              works; many are free, on the web, on phones and on computers.</li>
          </ol>
          <p><a href="{$page}">Back to the site</a></p>
          <h2>The newest entries</h2>
          <ol class="archive feed-entries">
            <xsl:apply-templates select="atom:feed/atom:entry | rss/channel/item"/>
          </ol>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="atom:entry">
    <li>
      <time datetime="{atom:updated}">
        <xsl:call-template name="date">
          <xsl:with-param name="day" select="substring(atom:updated, 9, 2)"/>
          <xsl:with-param name="month" select="number(substring(atom:updated, 6, 2))"/>
          <xsl:with-param name="year" select="substring(atom:updated, 1, 4)"/>
        </xsl:call-template>
      </time>
      <xsl:text> — </xsl:text>
      <a href="{atom:link[not(@rel) or @rel='alternate'][1]/@href}"><xsl:value-of select="atom:title"/></a>
    </li>
  </xsl:template>

  <xsl:template match="item">
    <li>
      <xsl:call-template name="date">
        <xsl:with-param name="day" select="substring(pubDate, 6, 2)"/>
        <xsl:with-param name="month" select="(string-length(substring-before('JanFebMarAprMayJunJulAugSepOctNovDec', substring(pubDate, 9, 3))) div 3) + 1"/>
        <xsl:with-param name="year" select="substring(pubDate, 13, 4)"/>
      </xsl:call-template>
      <xsl:text> — </xsl:text>
      <a href="{link}"><xsl:value-of select="title"/></a>
    </li>
  </xsl:template>

  <!-- "1 September 2026", as the site's pages write dates. -->
  <xsl:template name="date">
    <xsl:param name="day"/><xsl:param name="month"/><xsl:param name="year"/>
    <xsl:variable name="months" select="'January  February March    April    May      June     July     August   SeptemberOctober  November December '"/>
    <xsl:value-of select="concat(number($day), ' ', normalize-space(substring($months, ($month - 1) * 9 + 1, 9)), ' ', $year)"/>
  </xsl:template>
</xsl:stylesheet>
