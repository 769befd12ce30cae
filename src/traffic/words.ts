/**
 * The words synthetic prompts are made of, and the seeded draws that pick them: exactly the draws
 * of Faker 10 (`faker.seed(n)`, then `number.int`, `word.adjective`, `word.noun` and
 * `word.preposition` over its English lists), without loading Faker, whose modules and English
 * locale cost every run ~35 ms of start-up on each thread that reads traffic, and whose word
 * methods copy the whole list on every call. The prompts, their lengths (which per-token prices
 * read) and so every report stay what they were.
 *
 * What is reproduced: Faker's Mersenne Twister (MT19937, seeded by `init_genrand` and twisted at
 * once, as `@faker-js/faker` does), its 53-bit fractions, its integer mapping `⌊u·(max − min + 1)
 * + min⌋` (no draw when min = max), `arrayElement` (no draw for one element), and its en word lists
 * as of @faker-js/faker 10. test/traffic/words.test.ts compares all of it with Faker itself, a dev
 * dependency, so a Faker release that drew or listed otherwise fails there first.
 *
 * The twister is transcribed from @faker-js/faker (MIT licence, Copyright 2022-present the Faker
 * team), operator for operator: its states are JavaScript numbers, not always 32-bit integers,
 * and every step depends on how JavaScript's bit operators convert them.
 */

/** Twister words. */
const N = 624;
/** The twist's offset. */
const M = 397;
const MATRIX_A = 0x9908_b0df;
const UPPER_MASK = 0x8000_0000;
const LOWER_MASK = 0x7fff_ffff;
/** 2^26 and 2^-53: two draws make one 53-bit fraction. */
const TWO_POW_26 = 67_108_864;
const TWO_POW_MINUS_53 = 1 / 9_007_199_254_740_992;

/** The draws Faker makes for prompts, from one seed. */
export class WordDraws {
  private states: number[];
  private index = 0;

  /** @param seed - the seed Faker would be given (`faker.seed(seed)`) */
  constructor(seed: number) {
    this.states = twist(initGenrand(seed));
  }

  /**
   * Faker's `number.int({ min, max })` for whole numbers min ≤ max.
   * @param min - the least value
   * @param max - the greatest value
   * @returns an integer in [min, max]
   */
  int(min: number, max: number): number {
    if (min === max) return min;
    return Math.floor(this.next() * (max - min + 1) + min);
  }

  /** @returns Faker's `word.adjective()` */
  adjective(): string {
    return this.pick(ADJECTIVES);
  }

  /** @returns Faker's `word.noun()` */
  noun(): string {
    return this.pick(NOUNS);
  }

  /** @returns Faker's `word.preposition()` */
  preposition(): string {
    return this.pick(PREPOSITIONS);
  }

  /** Faker's `helpers.arrayElement`. */
  private pick(list: readonly string[]): string {
    return list[list.length > 1 ? this.int(0, list.length - 1) : 0]!;
  }

  /** A fraction in [0, 1) with 53 bits: Faker's `nextF53`. */
  private next(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * TWO_POW_26 + lo) * TWO_POW_MINUS_53;
  }

  private nextU32(): number {
    let y = this.states[this.index]!;
    y ^= this.states[this.index]! >>> 11;
    y ^= (y << 7) & 0x9d2c_5680;
    y ^= (y << 15) & 0xefc6_0000;
    y ^= y >>> 18;
    if (++this.index >= N) {
      this.states = twist(this.states);
      this.index = 0;
    }
    return y >>> 0;
  }
}

/** MT19937's `init_genrand`, as Faker writes it (`Math.trunc(Math.imul(…) + i)`). */
function initGenrand(seed: number): number[] {
  const mt = new Array<number>(N);
  mt[0] = seed;
  for (let i = 1; i < N; i++) {
    const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
    mt[i] = Math.trunc(Math.imul(1_812_433_253, prev) + i);
  }
  return mt;
}

/** The next N words, in place. */
function twist(mt: number[]): number[] {
  for (let i = 0; i < N - M; i++) {
    const y = (mt[i]! & UPPER_MASK) + (mt[i + 1]! & LOWER_MASK);
    mt[i] = mt[i + M]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
  }
  for (let i = N - M; i < N - 1; i++) {
    const y = (mt[i]! & UPPER_MASK) + (mt[i + 1]! & LOWER_MASK);
    mt[i] = mt[i + M - N]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
  }
  const y = (mt[N - 1]! & UPPER_MASK) + (mt[0]! & LOWER_MASK);
  mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
  return mt;
}

// Faker 10's English word lists (definitions.word), in its order.
const ADJECTIVES = (
  'abandoned|able|acceptable|acclaimed|accomplished|accurate|aching|acidic|actual|admired|' +
  'adolescent|advanced|affectionate|afraid|aged|aggravating|aggressive|agile|agitated|agreeable|' +
  'ajar|alarmed|alert|alienated|alive|all|altruistic|amazing|ambitious|ample|amused|angelic|' +
  'anguished|animated|annual|another|antique|any|apprehensive|appropriate|apt|arid|artistic|' +
  'ashamed|assured|astonishing|athletic|austere|authentic|authorized|avaricious|average|aware|' +
  'awesome|awful|babyish|back|bad|baggy|bare|basic|beloved|beneficial|best|better|big|' +
  'biodegradable|bitter|black|black-and-white|blank|blaring|bleak|blind|blond|blue|blushing|' +
  'bogus|boiling|bony|boring|bossy|both|bouncy|bowed|brave|breakable|bright|brilliant|brisk|' +
  'broken|brown|bruised|bulky|burdensome|burly|bustling|busy|buttery|buzzing|calculating|candid|' +
  'carefree|careless|caring|cautious|cavernous|celebrated|charming|cheap|cheerful|chilly|chubby|' +
  'circular|classic|clean|clear|clear-cut|close|closed|cloudy|clueless|clumsy|cluttered|coarse|' +
  'colorful|colorless|colossal|comfortable|common|compassionate|competent|complete|complicated|' +
  'concerned|concrete|confused|considerate|content|cool|cooperative|coordinated|corny|corrupt|' +
  'courageous|courteous|crafty|crazy|creamy|creative|criminal|critical|crooked|crowded|cruel|' +
  'crushing|cuddly|cultivated|cumbersome|curly|cute|damaged|damp|dapper|dark|darling|dazzling|' +
  'dead|deadly|deafening|dearest|decent|decisive|deep|defenseless|defensive|deficient|definite|' +
  'definitive|delectable|delicious|delirious|dense|dental|dependable|dependent|descriptive|' +
  'deserted|determined|devoted|different|difficult|digital|diligent|dim|direct|dirty|discrete|' +
  'disloyal|dismal|distant|distinct|distorted|doting|downright|drab|dramatic|dreary|dual|dull|' +
  'dutiful|each|early|earnest|easy|ecstatic|edible|educated|elastic|elderly|electric|elegant|' +
  'elementary|elliptical|eminent|emotional|empty|enchanted|enchanting|energetic|enlightened|' +
  'enraged|entire|equatorial|essential|esteemed|ethical|everlasting|every|evil|exalted|' +
  'excellent|excitable|excited|exhausted|exotic|expensive|experienced|expert|extra-large|' +
  'extroverted|failing|faint|fair|fake|familiar|fantastic|far|far-flung|far-off|faraway|fat|' +
  'fatal|fatherly|favorable|favorite|fearless|feline|filthy|fine|finished|firm|first|firsthand|' +
  'fixed|flashy|flawed|flawless|flickering|flimsy|flowery|fluffy|flustered|focused|fond|' +
  'foolhardy|foolish|forceful|formal|forsaken|fortunate|fragrant|frail|frank|free|french|' +
  'frequent|friendly|frightened|frilly|frivolous|frizzy|front|frozen|frugal|fruitful|functional|' +
  'funny|fussy|fuzzy|gaseous|general|gentle|genuine|gifted|gigantic|giving|glaring|glass|' +
  'gleaming|glittering|gloomy|glorious|glossy|glum|golden|good|good-natured|gorgeous|graceful|' +
  'gracious|grandiose|granular|grave|gray|great|greedy|grim|grimy|gripping|grizzled|grouchy|' +
  'grounded|growing|grown|grubby|gruesome|grumpy|guilty|gullible|gummy|hairy|handsome|handy|' +
  'happy|happy-go-lucky|hard-to-find|harmful|hasty|hateful|haunting|heartfelt|heavenly|heavy|' +
  'hefty|helpful|helpless|hidden|hoarse|hollow|homely|honorable|honored|hopeful|hospitable|hot|' +
  'huge|humble|humiliating|hungry|hurtful|husky|icy|ideal|idealistic|idolized|ignorant|ill|' +
  'ill-fated|illiterate|illustrious|imaginary|imaginative|immaculate|immediate|immense|' +
  'impartial|impassioned|impeccable|impish|impolite|important|impossible|impractical|' +
  'impressionable|impressive|improbable|impure|inborn|incomparable|incomplete|inconsequential|' +
  'indelible|indolent|inexperienced|infamous|infatuated|inferior|infinite|informal|innocent|' +
  'insecure|insidious|insignificant|insistent|instructive|intelligent|intent|interesting|' +
  'internal|international|intrepid|ironclad|irresponsible|jagged|jam-packed|jaunty|jealous|' +
  'jittery|joyful|joyous|jubilant|judicious|juicy|jumbo|junior|juvenile|kaleidoscopic|key|' +
  'knotty|knowledgeable|known|kooky|kosher|lanky|last|lasting|late|lavish|lawful|lazy|leading|' +
  'lean|left|legal|light|lighthearted|likable|likely|limited|limp|limping|linear|lined|liquid|' +
  'little|live|lively|livid|lone|lonely|long|long-term|lost|lovable|lovely|low|lucky|lumbering|' +
  'lumpy|lustrous|mad|made-up|magnificent|majestic|major|male|mammoth|married|marvelous|massive|' +
  'mature|meager|mealy|mean|measly|meaty|mediocre|medium|memorable|menacing|merry|messy|' +
  'metallic|mild|milky|mindless|minor|minty|miserable|miserly|misguided|mixed|moist|monstrous|' +
  'monthly|monumental|moral|motionless|muddy|muffled|multicolored|mundane|murky|mushy|musty|' +
  'muted|mysterious|narrow|natural|naughty|nautical|near|neat|necessary|needy|negative|' +
  'neglected|negligible|neighboring|nervous|new|next|nice|nifty|nimble|nippy|nocturnal|normal|' +
  'noted|noteworthy|noxious|numb|nutritious|obedient|oblong|obvious|odd|oddball|official|oily|' +
  'old|old-fashioned|only|optimal|optimistic|orange|orderly|ordinary|ornate|ornery|other|our|' +
  'outgoing|outlandish|outlying|outrageous|outstanding|oval|overcooked|overdue|palatable|pale|' +
  'paltry|parallel|parched|partial|passionate|pastel|peaceful|peppery|perfumed|perky|personal|' +
  'pertinent|pessimistic|petty|phony|physical|pink|pitiful|plain|pleasant|pleased|pleasing|' +
  'plump|pointed|pointless|polished|polite|political|poor|portly|posh|possible|potable|powerful|' +
  'powerless|practical|precious|present|prestigious|pretty|pricey|prickly|primary|prime|private|' +
  'probable|productive|profitable|profuse|proper|proud|prudent|punctual|puny|pure|purple|pushy|' +
  'putrid|puzzled|qualified|quarrelsome|quarterly|queasy|querulous|questionable|quick|' +
  'quick-witted|quiet|quintessential|quixotic|radiant|ragged|rapid|rare|raw|realistic|' +
  'reasonable|recent|reckless|rectangular|red|reflecting|regal|regular|remarkable|remorseful|' +
  'repentant|respectful|responsible|rewarding|rich|right|rigid|ripe|roasted|robust|rosy|' +
  'rotating|rotten|rough|round|rowdy|royal|rubbery|ruddy|rundown|runny|rural|rusty|sad|salty|' +
  'same|sandy|sarcastic|sardonic|scaly|scared|scary|scented|scientific|scornful|scratchy|second|' +
  'second-hand|secondary|secret|self-assured|self-reliant|selfish|sentimental|separate|serene|' +
  'serpentine|severe|shabby|shadowy|shady|shallow|shameful|shameless|shimmering|shiny|shocked|' +
  'shoddy|short|short-term|showy|shrill|shy|sick|silent|silky|silver|similar|simple|simplistic|' +
  'sinful|sizzling|skeletal|sleepy|slight|slimy|slow|slushy|small|smart|smoggy|smooth|smug|' +
  'snappy|snarling|sneaky|sniveling|snoopy|sociable|soft|soggy|somber|some|sophisticated|sore|' +
  'sorrowful|soulful|soupy|sour|spanish|sparkling|sparse|specific|speedy|spherical|spiffy|' +
  'spirited|spiteful|splendid|spotless|square|squeaky|squiggly|stable|staid|stained|stale|' +
  'standard|stark|steel|steep|sticky|stiff|stingy|stormy|straight|strange|strict|strident|' +
  'striking|strong|stunning|stupendous|sturdy|stylish|subdued|submissive|substantial|subtle|' +
  'suburban|sudden|sugary|sunny|super|superb|superficial|superior|supportive|sure-footed|' +
  'surprised|svelte|sweet|swift|talkative|tall|tame|tangible|tasty|tattered|taut|tedious|' +
  'teeming|tempting|tender|tense|tepid|terrible|that|these|thick|thin|thorny|thorough|those|' +
  'thrifty|tidy|tight|timely|tinted|tiny|tired|torn|total|tough|tragic|trained|triangular|' +
  'tricky|trim|trivial|troubled|true|trusting|trustworthy|trusty|turbulent|twin|ugly|ultimate|' +
  'unaware|uncomfortable|uncommon|unconscious|understated|uneven|unfinished|unfit|unfortunate|' +
  'unhappy|unhealthy|uniform|unimportant|unique|unkempt|unknown|unlawful|unlined|unlucky|' +
  'unpleasant|unrealistic|unripe|unruly|unselfish|unsightly|unsteady|unsung|untidy|untimely|' +
  'untried|untrue|unused|unusual|unwelcome|unwieldy|unwilling|unwritten|upbeat|upright|upset|' +
  'urban|usable|useless|utilized|utter|vague|vain|valuable|variable|vast|velvety|vengeful|' +
  'vibrant|victorious|violent|vivacious|vivid|voluminous|warlike|warm|warmhearted|warped|' +
  'wasteful|waterlogged|watery|wavy|wealthy|weary|webbed|wee|weekly|weighty|weird|' +
  'well-documented|well-groomed|well-lit|well-made|well-off|well-to-do|well-worn|which|' +
  'whimsical|whirlwind|whispered|white|whole|whopping|wicked|wide|wide-eyed|wiggly|willing|' +
  'wilted|winding|windy|winged|wise|witty|wobbly|woeful|wonderful|wordy|worldly|worse|worst|' +
  'worthless|worthwhile|worthy|wrathful|wretched|writhing|wrong|wry|yearly|yellow|yellowish|' +
  'young|youthful|yummy|zany|zealous|zesty'
).split("|");
const NOUNS = (
  'CD|SUV|abacus|academics|accelerator|accompanist|account|accountability|acquaintance|ad|' +
  'adaptation|address|adrenalin|adult|advancement|advertisement|adviser|affect|affiliate|' +
  'aftermath|agreement|airbus|aircraft|airline|airmail|airman|airport|alb|alert|allegation|' +
  'alliance|alligator|allocation|almighty|amendment|amnesty|analogy|angle|annual|antelope|' +
  'anticodon|apparatus|appliance|approach|apricot|arcade|archaeology|armchair|armoire|asset|' +
  'assist|atrium|attraction|availability|avalanche|awareness|babushka|backbone|backburn|' +
  'bakeware|bandwidth|bar|barge|baritone|barracks|baseboard|basket|bathhouse|bathrobe|battle|' +
  'begonia|behest|bell|bench|bend|beret|best-seller|bid|bidet|bin|birdbath|birdcage|birth|' +
  'blight|blossom|blowgun|bob|bog|bonfire|bonnet|bookcase|bookend|boulevard|bourgeoisie|bowler|' +
  'bowling|boyfriend|brace|bracelet|bran|breastplate|brief|brochure|brook|brush|bug|bump|' +
  'bungalow|cafe|cake|calculus|cannon|cantaloupe|cap|cappelletti|captain|caption|carboxyl|' +
  'cardboard|carnival|case|casement|cash|casket|cassava|castanet|catalyst|cauliflower|cellar|' +
  'celsius|cemetery|ceramic|ceramics|certification|chainstay|chairperson|challenge|championship|' +
  'chap|chapel|character|characterization|charlatan|charm|chasuble|cheese|cheetah|chiffonier|' +
  'chops|chow|cinder|cinema|circumference|citizen|clamp|clavicle|cleaner|climb|co-producer|coal|' +
  'coast|cod|coil|coin|coliseum|collaboration|collectivization|colon|colonialism|comestible|' +
  'commercial|commodity|community|comparison|completion|complication|compromise|concentration|' +
  'configuration|confusion|conservation|conservative|consistency|contractor|contrail|convection|' +
  'conversation|cook|coordination|cop-out|cope|cork|cornet|corporation|corral|cosset|costume|' +
  'couch|council|councilman|countess|courtroom|cow|creator|creature|crest|cricket|crocodile|' +
  'cross-contamination|cruelty|cuckoo|curl|custody|custom|cutlet|cutover|cycle|daddy|dandelion|' +
  'dash|daughter|dead|decision|deck|declaration|decongestant|decryption|deduction|deed|deer|' +
  'defendant|density|department|dependency|deployment|depot|derby|descendant|descent|design|' +
  'designation|desk|detective|devastation|developing|developmental|devil|diagram|digestive|' +
  'digit|dime|director|disadvantage|disappointment|disclosure|disconnection|discourse|dish|disk|' +
  'disposer|distinction|diver|diversity|dividend|divine|doing|doorpost|doubter|draft|draw|dream|' +
  'dredger|dress|drive|drug|duffel|dulcimer|dusk|duster|dwell|e-mail|earth|ecliptic|ectoderm|' +
  'edge|editor|effector|eggplant|electronics|elevation|elevator|elver|embarrassment|embossing|' +
  'emergent|encouragement|entry|epic|equal|essence|eternity|ethyl|euphonium|event|exasperation|' +
  'excess|executor|exhaust|expansion|expense|experience|exploration|extension|extent|exterior|' +
  'eyebrow|eyeliner|farm|farmer|fat|fax|feather|fedora|fellow|fen|fencing|ferret|festival|fibre|' +
  'filter|final|finding|finer|finger|fireplace|fisherman|fishery|fit|flame|flat|fledgling|' +
  'flight|flint|flood|flu|fog|fold|folklore|follower|following|foodstuffs|footrest|forage|' +
  'forager|forgery|fork|formamide|formation|formula|fort|fowl|fraudster|freckle|freezing|' +
  'freight|fuel|fun|fund|fundraising|futon|gallery|galoshes|gastropod|gazebo|gerbil|ghost|giant|' +
  'gift|giggle|glider|gloom|goat|godfather|godparent|going|goodwill|governance|government|gown|' +
  'gradient|graffiti|grandpa|grandson|granny|grass|gray|gripper|grouper|guacamole|guard|' +
  'guidance|guide|gym|gymnast|habit|haircut|halt|hamburger|hammock|handful|handle|handover|harp|' +
  'haversack|hawk|heartache|heartbeat|heating|hello|help|hepatitis|heroine|hexagon|hierarchy|' +
  'hippodrome|honesty|hoof|hope|horde|hornet|horst|hose|hospitalization|hovel|hovercraft|hubris|' +
  'humidity|humor|hundred|hunger|hunt|husband|hutch|hydrant|hydrocarbon|hydrolyse|hydrolyze|' +
  'hyena|hygienic|hyphenation|ice-cream|icebreaker|igloo|ignorance|illusion|impact|import|' +
  'importance|impostor|in-joke|incandescence|independence|individual|information|injunction|' +
  'innovation|insolence|inspection|instance|institute|instruction|instructor|integer|intellect|' +
  'intent|interchange|interior|intervention|interviewer|invite|iridescence|issue|jacket|jazz|' +
  'jellyfish|jet|jogging|joy|juggernaut|jump|jungle|junior|jury|kettledrum|kick|kielbasa|kinase|' +
  'king|kiss|kit|knickers|knight|knitting|knuckle|label|labourer|lace|lady|lamp|language|larva|' +
  'lashes|laughter|lava|lawmaker|lay|leading|league|legend|legging|legislature|lender|license|' +
  'lid|lieu|lifestyle|lift|linseed|litter|loaf|lobster|longboat|lotion|lounge|louse|lox|loyalty|' +
  'luck|lyre|maestro|mainstream|maintainer|majority|makeover|making|mallard|management|manner|' +
  'mantua|marathon|march|marimba|marketplace|marksman|markup|marten|massage|masterpiece|' +
  'mathematics|meadow|meal|meander|meatloaf|mechanic|median|membership|mentor|merit|metabolite|' +
  'metal|middle|midwife|milestone|millet|minion|minister|minor|minority|mixture|mobility|' +
  'molasses|mom|moment|monasticism|monocle|monster|morbidity|morning|mortise|mountain|mouser|' +
  'mousse|mozzarella|muscat|mythology|napkin|necklace|nectarine|negotiation|nephew|nerve|' +
  'netsuke|newsletter|newsprint|newsstand|nightlife|noon|nougat|nucleotidase|nudge|numeracy|' +
  'numeric|nun|obedience|obesity|object|obligation|ocelot|octave|offset|oil|omelet|onset|opera|' +
  'operating|optimal|orchid|order|ostrich|other|outlaw|outrun|outset|overcoat|overheard|' +
  'overload|ownership|pacemaker|packaging|paintwork|palate|pants|pantyhose|papa|parade|parsnip|' +
  'partridge|passport|pasta|patroller|pear|pearl|pecan|pendant|peninsula|pension|peony|pepper|' +
  'perfection|permafrost|perp|petal|petticoat|pharmacopoeia|phrase|pick|piglet|pigpen|pigsty|' +
  'pile|pillbox|pillow|pilot|pine|pinstripe|place|plain|planula|plastic|platter|platypus|' +
  'pleasure|pliers|plugin|plumber|pneumonia|pocket-watch|poetry|polarisation|polyester|pomelo|' +
  'pop|poppy|popularity|populist|porter|possession|postbox|precedent|premeditation|premier|' +
  'premise|premium|pressure|presume|priesthood|printer|privilege|procurement|produce|programme|' +
  'prohibition|promise|pronoun|providence|provider|provision|publication|publicity|pulse|' +
  'punctuation|pupil|puppet|puritan|quart|quinoa|quit|railway|range|rationale|ravioli|rawhide|' +
  'reach|reasoning|reboot|receptor|recommendation|reconsideration|recovery|redesign|relative|' +
  'release|remark|reorganisation|repeat|replacement|reporter|representation|republican|request|' +
  'requirement|reservation|resolve|resource|responsibility|restaurant|retention|retrospectivity|' +
  'reward|ribbon|rim|riser|roadway|role|rosemary|roundabout|rubric|ruin|rule|runway|rust|safe|' +
  'sailor|saloon|sand|sandbar|sanity|sarong|sauerkraut|saw|scaffold|scale|scarification|' +
  'scenario|schedule|schnitzel|scholarship|scorn|scorpion|scout|scrap|scratch|seafood|seagull|' +
  'seal|season|secrecy|secret|section|sediment|self-confidence|sermon|sesame|settler|shadowbox|' +
  'shark|shipper|shore|shoulder|sideboard|siege|sightseeing|signature|silk|simple|singing|skean|' +
  'skeleton|skyline|skyscraper|slide|slime|slipper|smog|smoke|sock|soliloquy|solution|solvency|' +
  'someplace|sonar|sonata|sonnet|soup|soybean|space|spear|spirit|spork|sport|spring|sprinkles|' +
  'squid|stall|starboard|statue|status|stay|steak|steeple|step|step-mother|sticker|stir-fry|' +
  'stitcher|stock|stool|story|strait|stranger|strategy|straw|stump|subexpression|submitter|' +
  'subsidy|substitution|suitcase|summary|summer|sunbeam|sundae|supplier|surface|sushi|' +
  'suspension|sustenance|swanling|swath|sweatshop|swim|swine|swing|switch|switchboard|swordfish|' +
  'synergy|t-shirt|tabletop|tackle|tail|tapioca|taro|tarragon|taxicab|teammate|technician|' +
  'technologist|tectonics|tenant|tenement|tennis|tentacle|teriyaki|term|testimonial|testing|' +
  'thigh|thongs|thorn|thread|thunderbolt|thyme|tinderbox|toaster|tomatillo|tomb|tomography|tool|' +
  'tooth|toothbrush|toothpick|topsail|traditionalism|traffic|translation|transom|transparency|' +
  'trash|travel|tray|trench|tribe|tributary|trick|trolley|tuba|tuber|tune-up|turret|tusk|tuxedo|' +
  'typeface|typewriter|unblinking|underneath|underpants|understanding|unibody|unique|unit|' +
  'utilization|valentine|validity|valley|valuable|vanadyl|vein|velocity|venom|version|verve|' +
  'vestment|veto|viability|vibraphone|vibration|vicinity|video|violin|vision|vista|vol|' +
  'volleyball|wafer|waist|wallaby|warming|wasabi|waterspout|wear|wedding|whack|whale|wheel|' +
  'widow|wilderness|willow|window|wombat|word|worth|wriggler|yak|yarmulke|yeast|yin|yogurt|' +
  'zebra|zen'
).split("|");
const PREPOSITIONS = (
  'a|abaft|aboard|about|above|absent|across|afore|after|against|along|alongside|amid|amidst|' +
  'among|amongst|an|anenst|anti|apropos|apud|around|as|aside|astride|at|athwart|atop|barring|' +
  'before|behind|below|beneath|beside|besides|between|beyond|but|by|circa|concerning|' +
  'considering|despite|down|during|except|excepting|excluding|failing|following|for|forenenst|' +
  'from|given|in|including|inside|into|lest|like|mid|midst|minus|modulo|near|next|' +
  'notwithstanding|of|off|on|onto|opposite|out|outside|over|pace|past|per|plus|pro|qua|' +
  'regarding|round|sans|save|since|than|the|through|throughout|till|times|to|toward|towards|' +
  'under|underneath|unlike|until|unto|up|upon|versus|via|vice|with|within|without|worth'
).split("|");

/** The word lists, for the test that compares them with Faker's. */
export const EN_WORDS: { readonly adjective: readonly string[]; readonly noun: readonly string[]; readonly preposition: readonly string[] } = Object.freeze({
  adjective: ADJECTIVES,
  noun: NOUNS,
  preposition: PREPOSITIONS,
});
