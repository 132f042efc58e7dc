"""The words the planner knows, as plain data: attribute classes, styles, spatial and degree words.

Each class is a set of lower-case words or phrases; planner/language/intent.py turns them into patterns once
at import. Adding a word here is how the planner learns it.
"""

from __future__ import annotations

COLOURS = {
    "red", "orange", "yellow", "green", "blue", "purple", "violet", "pink", "brown", "black",
    "white", "grey", "gray", "gold", "golden", "silver", "beige", "teal", "cyan", "magenta",
    "navy", "navy blue", "maroon", "turquoise", "crimson", "lavender", "tan", "cream", "ivory",
    "olive", "khaki", "burgundy", "emerald", "scarlet", "indigo", "bronze", "copper", "lime",
    "mint", "coral", "peach", "charcoal", "aqua", "amber", "rose", "lilac", "mauve", "sky blue",
    "royal blue", "dark", "light",
}  # fmt: skip
# Comparatives read as "more of": the base word is the attribute.
COMPARATIVES = {
    "bluer": "blue", "redder": "red", "greener": "green", "whiter": "white", "blacker": "black",
    "darker": "dark", "lighter": "light", "brighter": "bright", "warmer": "warm",
    "cooler": "cool", "pinker": "pink", "yellower": "yellow", "greyer": "grey", "grayer": "grey",
    "moodier": "moody", "sunnier": "sunny", "cloudier": "cloudy", "stormier": "stormy",
    "calmer": "calm", "clearer": "clear", "richer": "rich", "deeper": "deep", "softer": "soft",
    "sharper": "sharp", "dimmer": "dim", "shinier": "shiny", "glossier": "glossy",
}  # fmt: skip
COLOUR_SHADES = {"light", "dark", "bright", "pale", "deep", "pastel", "neon", "hot", "baby"}
MATERIALS = {
    "wood", "wooden", "leather", "metal", "metallic", "glass", "marble", "stone", "brick",
    "denim", "silk", "velvet", "wool", "woolen", "woollen", "plastic", "concrete", "steel",
    "chrome", "cotton", "suede", "fur", "ceramic", "gold-plated", "granite", "oak", "bamboo",
    "rubber", "paper", "cardboard", "linen", "lace", "tweed", "satin", "crystal", "ice",
}  # fmt: skip
PATTERNS = {
    "striped", "stripes", "polka dot", "polka dots", "polka-dot", "checkered", "chequered",
    "plaid", "tartan", "floral", "camo", "camouflage", "paisley", "spotted", "dotted",
    "zebra print", "leopard print", "houndstooth", "herringbone", "gingham", "tie-dye",
}  # fmt: skip
TEXTURES = {
    "shiny", "glossy", "matte", "rough", "smooth", "rusty", "worn", "weathered", "fluffy",
    "furry", "wet", "dirty", "faded", "sparkly", "glittery", "mossy", "frosty", "frozen",
    "muddy", "dusty", "polished", "cracked", "wrinkled", "pristine", "new", "old",
}  # fmt: skip
# Moods of a region (mostly skies and water); the value is what the words add to the prompt.
MOODS = {
    "dramatic": "dark storm clouds, strong directional light",
    "stormy": "dark storm clouds, heavy atmosphere",
    "moody": "low clouds, muted light",
    "calm": "soft even light",
    "clear": "cloudless",
    "cloudy": "scattered clouds",
    "sunny": "bright sunlight",
    "colorful": "vivid colours",
    "colourful": "vivid colours",
    "vibrant": "vivid saturated colours",
    "blue": "deep blue",
    "bright": "bright light",
    "rich": "rich colours",
    "deep": "deep colours",
}
# Whole-image time of day, weather, season and light; a match makes the edit a relight.
SCENE_LIGHT = {
    "night", "nighttime", "night time", "night-time", "sunset", "sunrise", "dawn", "dusk",
    "golden hour", "blue hour", "twilight", "midday", "noon", "daytime", "day time", "daylight",
    "evening", "morning", "overcast", "rain", "rainy", "raining", "snow", "snowy", "snowing",
    "fog", "foggy", "mist", "misty", "storm", "thunderstorm", "winter", "summer", "autumn",
    "fall", "spring", "lighting", "light", "warm", "cool", "bright", "dim", "moody", "sunny",
    "cloudy", "contrast", "saturation", "saturated", "desaturated", "vibrant", "muted", "sepia",
    "black and white", "black-and-white", "monochrome", "colours", "colors", "colour", "color",
    "tones", "exposure", "shadows", "highlights", "candlelight", "moonlight", "neon", "backlit",
    "cinematic", "dark",
}  # fmt: skip
STYLES = {
    "watercolor", "watercolour", "oil painting", "painting", "acrylic", "sketch",
    "pencil sketch", "pencil drawing", "drawing", "charcoal", "ink", "anime", "manga", "cartoon",
    "comic", "comic book", "pixel art", "impressionist", "impressionism", "van gogh", "monet",
    "picasso", "cubist", "cubism", "pop art", "ukiyo-e", "claymation", "3d render", "low poly",
    "pastel", "art deco", "art nouveau", "digital art", "illustration", "vaporwave", "cyberpunk",
    "steampunk", "studio ghibli", "ghibli", "pixar", "disney", "lego", "mosaic", "stained glass",
    "line art", "vector art", "woodcut", "engraving", "graffiti", "surreal", "surrealist",
    "renaissance", "baroque", "expressionist", "minimalist", "noir", "film noir", "vintage",
    "retro", "fantasy", "sci-fi", "gouache", "fresco", "papercut", "origami", "chalk",
    "crayon", "storybook", "pointillism", "pointillist",
}  # fmt: skip
# Nouns that are worn: an attribute change on one of them reads "wearing a red shirt".
WORN = {
    "shirt", "t-shirt", "tshirt", "jacket", "dress", "hat", "coat", "suit", "pants", "trousers",
    "jeans", "skirt", "scarf", "tie", "shoes", "sneakers", "boots", "sweater", "hoodie",
    "glasses", "sunglasses", "gloves", "helmet", "uniform", "cap", "blouse", "top", "shorts",
    "vest", "jumper", "cardigan", "socks", "lipstick", "hair", "beanie", "gown", "robe",
    "spacesuit", "outfit", "clothes", "belt", "bag", "necklace", "earrings",
}  # fmt: skip
OWNERS = {"her", "his", "their", "my", "your", "its"}
# What a removed object may leave behind, removed with it ("and its shadow").
EFFECTS = {
    "shadow", "shadows", "reflection", "reflections", "footprints", "footprint", "tracks",
    "smoke", "wake", "glare", "trail", "ripples", "splash", "mark", "marks", "stain", "stains",
}  # fmt: skip
WHOLE = {
    "it", "this", "that", "everything", "the image", "the photo", "the picture", "the scene",
    "the whole image", "the whole photo", "the whole picture", "the whole scene", "this photo",
    "this image", "this picture", "this scene", "the photograph", "this photograph", "all",
    "the entire image", "the entire photo", "the whole thing", "the shot", "the frame", "me",
    "the colours", "the colors", "the lighting", "the light", "the mood", "the atmosphere",
    "the weather", "the season", "the time of day", "day", "the day", "the tones",
}  # fmt: skip
SKY = {"sky", "skies", "the sky", "heavens", "clouds"}
BACKGROUND = {"background", "backdrop", "scenery", "setting", "surroundings", "bg"}
HAND = {"hand", "hands", "finger", "fingers", "palm", "thumb", "fist"}
FACE = {"face", "faces", "eyes", "eye", "mouth", "nose", "smile", "teeth", "expression"}

# Words that ask for less or more change; each level is an SDEdit strength (the lesson: 0.3 nearly
# identical, 0.5-0.6 moderate keeping coarse structure, 0.9 from near noise).
DEGREE = [
    ("light", 0.3, r"slight(?:ly)?|subtle|subtly|(?:a (?:tiny |little )?bit|a little|a touch|"
     r"a tiny bit)(?=\s+(?:more|less|\w+er)\b|\s*$)|gentl[ey]|lightly|barely|mildly|softly|"
     r"a hint of|minor|small amount"),
    ("strong", 0.75, r"very|much|strongly|heavily|significantly|a lot|really|way|dramatically|"
     r"drastically|noticeably|extremely|super|far"),
    ("heavy", 0.9, r"complete(?:ly)?|total(?:ly)?|entirely|radical(?:ly)?|fully|"
     r"from scratch|wholly|utterly"),
]  # fmt: skip

# Where in the frame: kept as words in the plan, used for the canvas side when extending.
SPATIAL = (
    r"(?:(?:on|at|in|to|along|from|towards?|into|across)\s+(?:the\s+)?(?:(?:very|far)\s+)?"
    r"(?:(?:top|bottom|upper|lower)[ -](?:left|right)(?:[ -](?:corner|side|edge))?|"
    r"(?:left|right|top|bottom)(?:[ -](?:hand[ -])?(?:side|edge|corner|half|border))?|"
    r"background|foreground|middle|center|centre|distance|corner|edges?|sides)|"
    r"(?:the\s+)?(?:top|bottom|upper|lower)[ -](?:left|right)(?:[ -](?:corner|side|edge))?|"
    r"(?:the\s+)?(?:left|right|top|bottom)[ -](?:hand[ -])?(?:side|edge|border))\b"
    r"|\b(?:behind|next to|beside|in front of|above|below|under|over)\s+(?:the\s+\w+|her\b|"
    r"him\b|his\s+\w+|them\b|it\b)"
)
SIDES = {"left": "left", "right": "right", "top": "top", "bottom": "bottom", "upper": "top",
         "lower": "bottom"}  # fmt: skip

POLITE = (
    r"please|pls|plz|kindly|could you(?: please)?|can you(?: please)?|would you(?: please| kindly)?|"
    r"will you|i(?:'d| would) like (?:you )?to|i want (?:you )?to|i need (?:you )?to|"
    r"help me|try to|go ahead and|just|thanks?(?: you)?(?: so much| very much)?|cheers|"
    r"if you can|if possible|for me|hey|hi|hello|ok|okay|now"
)

# Keywords a typo may be corrected to: one letter away, same first letter, five letters or more.
KEYWORDS = [
    "remove", "erase", "delete", "replace", "change", "background", "extend", "uncrop",
    "square", "portrait", "landscape", "colour", "color", "watercolor", "watercolour",
    "painting", "reimagine", "slightly", "completely", "fingers", "please", "restyle", "convert",
    "outpaint", "widen", "expand", "sunset", "sunrise", "cartoon", "sketch", "shadow",
    "reflection", "eliminate", "regenerate", "subtle", "subtly", "dramatic", "pixels", "canvas",
    "scenery", "backdrop", "stormy", "cloudy", "leather", "wooden", "striped", "tourist",
    "person", "people", "picture", "anime", "style", "brighter", "darker", "warmer", "cooler",
    "night", "winter", "sweater", "jacket", "shirt", "purple", "yellow", "orange", "golden",
    "silver", "turquoise", "magenta", "widescreen", "instead",
]  # fmt: skip
# Short misspellings the one-letter rule cannot see.
COMMON_TYPOS = {"teh": "the", "hte": "the", "th": "the", "adn": "and", "nad": "and", "fo": "of",
                "thsi": "this", "tihs": "this", "taht": "that", "ti": "it", "iamge": "image",
                "imgae": "image", "pic": "picture", "bg": "background", "sky's": "sky"}  # fmt: skip
# Real words one letter away from a keyword: never "corrected".
PROTECTED = {
    "remote", "pointing", "cease", "wider", "colon", "shadows", "shadowy", "changed", "changes",
    "painted", "paints", "styles", "styled", "persons", "pictures", "nights", "nightly",
    "winters", "jackets", "shirts", "sketches", "sketchy", "darken", "warmed", "cooled",
    "people", "peoples", "fellow", "mellow", "person", "shift", "shirk", "stile", "style",
    "erased", "erases", "deleted", "extends", "extent", "plead", "pleased", "cloud", "clouds",
    "stormy", "storms", "expands", "widens", "widened", "purpose", "danker", "darkest",
    "brighten", "warmest", "coolest", "cooker", "corner", "coolers", "dancer", "warner",
}  # fmt: skip

# Moves, rotations and camera views (issue 30: the editors that do them, JoyAI-Image-Edit).
MOVE_VERBS = r"move|shift|slide|drag|nudge|reposition|relocate"
DIRECTIONS = (
    r"(?:a (?:bit|little) )?(?:left|right|up|down|forward|backward|back|closer|further|away)"
)
MOVE_TO = (
    rf"{DIRECTIONS}|(?:to|towards?|onto|into|on|in|next to|beside|behind|closer to|away from|"
    r"nearer|against|up to|down to)\s+.+"
)
ROTATE_VERBS = r"rotate|spin|swivel|pivot"
SPATIAL_VERBS = rf"{MOVE_VERBS}|{ROTATE_VERBS}"  # verbs that start a new edit
TURNS = (
    r"(?:by )?\d+ ?(?:degrees?|deg|°)(?: (?:clockwise|counter-?clockwise|anti-?clockwise|"
    r"to the (?:left|right)))?|(?:a )?(?:quarter|half)[ -]turn|around|round|sideways|clockwise|"
    r"counter-?clockwise|anti-?clockwise|(?:so (?:that )?(?:it|the \w+) )?(?:to )?faces? .+"
)
VIEWING = (
    r"view|show|shoot|photograph|reframe|change the (?:camera(?: angle)?|view(?:point)?|angle)"
)
VIEWS = (
    r"(?:(?:as )?seen |viewed |shot |photographed |looking down )?(?:from )?(?:directly )?"
    r"(?:above|below|overhead|behind|underneath|the (?:side|back|front|top|air))|"
    r"(?:(?:to|into|as|with|from|in) )?(?:an? |the )?(?:bird'?s[- ]eye|top[- ]down|worm'?s[- ]eye|"
    r"aerial|overhead|side|front|rear|back|low[- ]angle|high[- ]angle|profile|three[- ]quarter|"
    r"isometric|frontal)(?: (?:view|angle|shot|perspective|viewpoint))?"
)
