// A service's SDK language (telemetry.sdk.language) as a small self-drawn badge: no icons or
// fonts from outside, only an SVG rectangle and a short label in the language's usual colour.

interface BadgeStyle {
  label: string;
  bg: string;
  fg: string;
}

const LANGUAGES: Record<string, BadgeStyle> = {
  go: { label: 'go', bg: '#00add8', fg: '#ffffff' },
  nodejs: { label: 'node', bg: '#3c873a', fg: '#ffffff' },
  webjs: { label: 'js', bg: '#f7df1e', fg: '#222222' },
  python: { label: 'py', bg: '#3776ab', fg: '#ffd343' },
  java: { label: 'java', bg: '#e76f00', fg: '#ffffff' },
  cpp: { label: 'c++', bg: '#00599c', fg: '#ffffff' },
  dotnet: { label: '.net', bg: '#512bd4', fg: '#ffffff' },
  ruby: { label: 'rb', bg: '#cc342d', fg: '#ffffff' },
  php: { label: 'php', bg: '#777bb4', fg: '#ffffff' },
  rust: { label: 'rs', bg: '#b7410e', fg: '#ffffff' },
  erlang: { label: 'erl', bg: '#a90533', fg: '#ffffff' },
  swift: { label: 'swift', bg: '#f05138', fg: '#ffffff' },
};

export function languageStyle(language: string | undefined): BadgeStyle {
  if (!language) return { label: '?', bg: '#8a8f98', fg: '#ffffff' };
  return LANGUAGES[language.toLowerCase()] ?? { label: language.slice(0, 4).toLowerCase(), bg: '#6c7480', fg: '#ffffff' };
}

export function LanguageBadge({ language }: { language?: string }) {
  const s = languageStyle(language);
  const width = 6 + s.label.length * 6;
  const title = language ? `SDK language: ${language}` : 'SDK language unknown (no telemetry.sdk.language)';
  return (
    <svg class="lang-badge" width={width} height={14} viewBox={`0 0 ${width} 14`} role="img" aria-label={title} data-lang={language || 'unknown'}>
      <title>{title}</title>
      <rect x="0" y="0" width={width} height="14" rx="3" fill={s.bg} />
      <text x={width / 2} y="10.5" text-anchor="middle" fill={s.fg} font-size="9.5" font-weight="700" font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace">
        {s.label}
      </text>
    </svg>
  );
}
